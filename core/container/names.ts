/**
 * Container names: Docker's validation rule, the leading slash convention and
 * random `adjective_surname` names like Docker's namesgenerator.
 */
import { randomInt } from 'node:crypto';
import { InvalidArgumentError } from '../errors';

/** Docker's rule for container names (`daemon/names`): the leading `/` is optional. */
export const VALID_CONTAINER_NAME = /^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/**
 * Returns the canonical form (`/name`) of a user-given name, or throws
 * InvalidArgumentError with Docker's message when the name breaks the rule.
 */
export function normaliseName(name: string): string {
  if (!VALID_CONTAINER_NAME.test(name)) {
    throw new InvalidArgumentError(`Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  }
  return name.startsWith('/') ? name : `/${name}`;
}

const ADJECTIVES = [
  'admiring', 'adoring', 'affectionate', 'agitated', 'amazing', 'angry', 'awesome', 'beautiful', 'blissful',
  'bold', 'boring', 'brave', 'busy', 'charming', 'clever', 'compassionate', 'competent', 'condescending',
  'confident', 'cool', 'cranky', 'crazy', 'dazzling', 'determined', 'distracted', 'dreamy', 'eager', 'ecstatic',
  'elastic', 'elated', 'elegant', 'eloquent', 'epic', 'exciting', 'fervent', 'festive', 'flamboyant', 'focused',
  'friendly', 'frosty', 'funny', 'gallant', 'gifted', 'goofy', 'gracious', 'great', 'happy', 'hardcore',
  'heuristic', 'hopeful', 'hungry', 'infallible', 'inspiring', 'intelligent', 'interesting', 'jolly', 'jovial',
  'keen', 'kind', 'laughing', 'loving', 'lucid', 'magical', 'modest', 'musing', 'mystifying', 'naughty',
  'nervous', 'nice', 'nifty', 'nostalgic', 'objective', 'optimistic', 'peaceful', 'pedantic', 'pensive',
  'practical', 'priceless', 'quirky', 'quizzical', 'recursing', 'relaxed', 'reverent', 'romantic', 'sad',
  'serene', 'sharp', 'silly', 'sleepy', 'stoic', 'strange', 'stupefied', 'suspicious', 'sweet', 'tender',
  'thirsty', 'trusting', 'unruffled', 'upbeat', 'vibrant', 'vigilant', 'vigorous', 'wizardly', 'wonderful',
  'xenodochial', 'youthful', 'zealous', 'zen',
];

const SURNAMES = [
  'agnesi', 'albattani', 'allen', 'almeida', 'archimedes', 'ardinghelli', 'aryabhata', 'austin', 'babbage',
  'banach', 'bardeen', 'bartik', 'bassi', 'bell', 'bhabha', 'black', 'blackwell', 'bohr', 'booth', 'borg',
  'bose', 'boyd', 'brahmagupta', 'brattain', 'brown', 'carson', 'cerf', 'chandrasekhar', 'chaplygin',
  'chatelet', 'chebyshev', 'cohen', 'curie', 'darwin', 'davinci', 'dijkstra', 'dirac', 'driscoll', 'dubinsky',
  'easley', 'einstein', 'elion', 'engelbart', 'euclid', 'euler', 'fermat', 'fermi', 'feynman', 'franklin',
  'galileo', 'gates', 'goldberg', 'goldstine', 'goldwasser', 'goodall', 'hamilton', 'hawking', 'heisenberg',
  'hermann', 'hertz', 'hodgkin', 'hofstadter', 'hopper', 'hugle', 'hypatia', 'jackson', 'jang', 'jennings',
  'jepsen', 'johnson', 'joliot', 'jones', 'kalam', 'kare', 'keller', 'kepler', 'khorana', 'kilby', 'kirch',
  'knuth', 'kowalevski', 'lalande', 'lamarr', 'lamport', 'leakey', 'leavitt', 'lewin', 'lichterman', 'liskov',
  'lovelace', 'lumiere', 'mahavira', 'mayer', 'mccarthy', 'mcclintock', 'mclean', 'meitner', 'mendel',
  'merkle', 'mirzakhani', 'montalcini', 'moore', 'morse', 'napier', 'nash', 'newton', 'nobel', 'noether',
  'northcutt', 'noyce', 'panini', 'pare', 'pascal', 'pasteur', 'payne', 'perlman', 'pike', 'poincare',
  'ptolemy', 'raman', 'ramanujan', 'ride', 'ritchie', 'robinson', 'roentgen', 'rosalind', 'saha', 'sammet',
  'shamir', 'shannon', 'shaw', 'shirley', 'shockley', 'sinoussi', 'snyder', 'spence', 'stonebraker',
  'sutherland', 'swanson', 'swartz', 'tesla', 'thompson', 'torvalds', 'turing', 'varahamihira', 'villani',
  'visvesvaraya', 'volhard', 'wescoff', 'wilbur', 'wiles', 'williams', 'wilson', 'wing', 'wozniak', 'wright',
  'wu', 'yalow', 'yonath', 'zhukovsky',
];

/**
 * A random name like Docker's (`focused_turing`); `retry > 0` appends a digit,
 * as Docker does after a collision. Never `boring_wozniak` (Steve Wozniak is not boring).
 */
export function randomName(retry = 0): string {
  for (;;) {
    const name = `${ADJECTIVES[randomInt(ADJECTIVES.length)]}_${SURNAMES[randomInt(SURNAMES.length)]}`;
    if (name === 'boring_wozniak') continue;
    return retry > 0 ? `${name}${randomInt(10)}` : name;
  }
}
