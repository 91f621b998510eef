// berth_exec.node: the native helpers of the exec driver that pay for themselves.
//
// spawnShim(shimPath, stateDir, bootstrap) -> Promise<string>
//   Starts berth-shim with posix_spawn (clone(CLONE_VM|CLONE_VFORK) inside glibc:
//   ~0.5 ms against ~2-6 ms for child_process.spawn, measured on the CI VM), in a
//   new session, with every signal at its default and an empty mask (Node ignores
//   SIGPIPE). The shim is started with `--fork`: it forks at once and the
//   intermediate exits, so the shim is not the daemon's child (no zombie for libuv
//   to miss, nothing tied to the daemon's lifetime). The bootstrap is written to
//   the shim's stdin and its one-line answer read from its stdout, all on a
//   libuv worker thread, never on the JS thread.
//
// writeAtomic(entries) -> Promise<void>
//   core/fs/atomic-write's temp files, fsyncs, renames and directory fsyncs
//   as one thread-pool job (see WriteAtomicWorker).
//
// startZygote(shimPath) -> Promise<[pid, socketFd]>
//   Starts `berth-shim --zygote` (shim/zygote.c), a fork server for shims, and
//   resolves with its pid and the daemon's end of its SOCK_SEQPACKET socket
//   (CLOEXEC). Closing that fd makes the zygote exit.
//
// launchShim(shimPath, stateDir, passFd[, zygoteFd, env]) -> [pid, stdinFd, stdoutFd]
// finishShim(pid, stdinFd, stdoutFd, bootstrap) -> Promise<string>
//   spawnShim in two halves, so the daemon prepares the bootstrap (cgroups,
//   seccomp records, mount plan) while the shim execs instead of before:
//   launchShim posix_spawns `berth-shim --fork <stateDir>` on the calling
//   thread (the same attributes as spawnShim; the caller only waits for the
//   vfork'd child's execve) and returns the pipe ends; the shim blocks reading
//   its stdin. finishShim writes the bootstrap (at once when it fits in the
//   pipe, else on the worker), reaps the intermediate and reads the answer on
//   a worker thread, and closes both fds. An empty
//   bootstrap aborts: the shim reads EOF, answers `err` and exits. Every
//   launchShim must be followed by exactly one finishShim. passFd >= 0 is
//   inherited by the shim as fd 3 (the device program, below), -1 for none.
//   With zygoteFd >= 0 the shim is forked by the zygote instead (one
//   non-blocking sendmsg; pid 0 is returned: there is no intermediate to
//   reap), with `env` (NAME=VALUE or NAME to unset) applied; throws with
//   `errno` when the zygote cannot take the request (the caller then spawns).
//
// loadDeviceProgram(rules: Int32Array) -> number
//   Loads the cgroup2 device allow-list program (common/device-prog.h) for
//   (type char code, major, minor, access bits) quadruples and returns its
//   fd (CLOEXEC), which the daemon keeps and passes to each shim
//   (launchShim's passFd): one verifier/JIT run per daemon instead of one
//   per container. Throws an Error with `errno` when the kernel refuses.
//
// mallocTrim() -> number
//   malloc_trim(0): gives the C heap's free pages back to the system (every
//   arena, also free pages below live chunks). berthd calls it after its idle
//   GC (core/system/idle-gc.ts): V8 frees external buffers with free(), and
//   glibc keeps what a burst of work grew. Returns 1 if memory was released.
//
// reduceMemory(mode) -> boolean
//   Asks V8 itself to give memory back, the way it does when the system is
//   short of it: mode "low" is Isolate::LowMemoryNotification (full
//   collections in V8's reduce-memory mode until one frees nothing: heap pages
//   compacted and released, the page pool and the young generation's spare
//   pages returned); mode "critical" is MemoryPressureNotification(kCritical)
//   followed by kNone (one or two such collections; the pressure level is
//   reset at once so heap growth stays normal). berthd's idle collection
//   uses it (core/bin/heap-flags.ts). Returns false when this build has no
//   V8 headers (Node-API only), and nothing is done: the caller falls back to
//   gc().
//
// execve(path, argv, env) -> never returns
//   Replaces the process image (same pid, same stdio and open fds without CLOEXEC):
//   berthd re-executes itself once at start-up with MALLOC_ARENA_MAX in its
//   environment (core/bin/reexec.ts), which glibc reads only when a process
//   starts. Throws an Error with `errno` when execve fails.
#include <napi.h>

#include <malloc.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

#if __has_include(<v8.h>)
#include <v8.h>
#define BERTH_HAVE_V8 1
#endif

extern char **environ;
extern "C" int berth_device_prog_load(const int *quads, size_t n);

namespace {

// posix_spawn of `shim --fork stateDir` with stdin/stdout pipes (returned: our ends), stderr /dev/null,
// every signal at its default, an empty mask, a new session; passFd (>= 0) becomes the shim's fd 3.
// 0, or an errno with what set to the failing step.
/**
 * Initialises `attr` for a process that leaves berthd behind: its own session,
 * no blocked signals and every signal at its default action (berthd's
 * handlers and mask must not be inherited).
 */
static void detachedSpawnAttr(posix_spawnattr_t *attr) {
  posix_spawnattr_init(attr);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(attr, &none);
  posix_spawnattr_setsigdefault(attr, &all);
  posix_spawnattr_setflags(attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
}

static int SpawnShimProcess(const std::string &shim, const std::string &stateDir, int passFd, pid_t *pid, int *inW, int *outR,
                            const char **what) {
  int in[2] = {-1, -1}, out[2] = {-1, -1};
  if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0) {
    int e = errno;
    for (int fd : {in[0], in[1], out[0], out[1]}) if (fd >= 0) close(fd);
    *what = "pipe2";
    return e;
  }
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&fa);
  detachedSpawnAttr(&attr);
  posix_spawn_file_actions_adddup2(&fa, in[0], 0);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  if (passFd >= 0) posix_spawn_file_actions_adddup2(&fa, passFd, 3);
  const char *argv[] = {shim.c_str(), "--fork", stateDir.c_str(), nullptr};
  int rc = posix_spawn(pid, shim.c_str(), &fa, &attr, const_cast<char **>(argv), environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  close(in[0]);
  close(out[1]);
  if (rc != 0) {
    close(in[1]);
    close(out[0]);
    *what = "posix_spawn";
    return rc;
  }
  *inW = in[1];
  *outR = out[0];
  return 0;
}

// Sends a start request to the zygote: stateDir and env entries (NUL-separated), the pipe ends and passFd as SCM_RIGHTS.
static int ZygoteRequest(int zfd, const std::string &stateDir, const std::vector<std::string> &env, int passFd, int inW_out[2]) {
  int in[2] = {-1, -1}, out[2] = {-1, -1};
  if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0) {
    int e = errno;
    for (int fd : {in[0], in[1], out[0], out[1]}) if (fd >= 0) close(fd);
    return e;
  }
  std::string data = stateDir;
  data.push_back('\0');
  for (const auto &e : env) { data += e; data.push_back('\0'); }
  int fds[3] = {in[0], out[1], passFd};
  int nfds = passFd >= 0 ? 3 : 2;
  char cbuf[CMSG_SPACE(sizeof(fds))];
  memset(cbuf, 0, sizeof(cbuf));
  struct iovec iov = {const_cast<char *>(data.data()), data.size()};
  struct msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = cbuf;
  msg.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
  struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
  cm->cmsg_level = SOL_SOCKET;
  cm->cmsg_type = SCM_RIGHTS;
  cm->cmsg_len = CMSG_LEN(nfds * sizeof(int));
  memcpy(CMSG_DATA(cm), fds, nfds * sizeof(int));
  ssize_t n;
  do n = sendmsg(zfd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL); while (n < 0 && errno == EINTR);
  int e = n == (ssize_t)data.size() ? 0 : (n < 0 ? errno : EMSGSIZE);
  close(in[0]);
  close(out[1]);
  if (e) { close(in[1]); close(out[0]); return e; }
  inW_out[0] = in[1];
  inW_out[1] = out[0];
  return 0;
}

// The second half of a shim start: bootstrap to stdin (then EOF), reap the intermediate, read the answer line.
static std::string FeedShim(pid_t pid, int inW, int outR, const std::vector<char> &input) {
  size_t off = 0;
  while (inW >= 0 && off < input.size()) {
    ssize_t n = write(inW, input.data() + off, input.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;  // the shim died; its answer (or EOF) tells why
    off += n;
  }
  if (inW >= 0) close(inW);
  // the intermediate process exits right after forking the real shim (none when the zygote forked it)
  int st;
  if (pid > 0) while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
  std::string answer;
  char buf[1024];
  for (;;) {
    ssize_t n = read(outR, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    answer.append(buf, n);
    if (answer.find('\n') != std::string::npos) break;
  }
  close(outR);
  if (answer.empty()) answer = "err berth-shim exited before starting the container\n";
  return answer;
}

class SpawnShimWorker : public Napi::AsyncWorker {
 public:
  SpawnShimWorker(Napi::Env env, std::string shim, std::string stateDir, std::vector<char> input)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), shim_(std::move(shim)),
        stateDir_(std::move(stateDir)), input_(std::move(input)) {}

  Napi::Promise Promise() { return deferred_.Promise(); }

 protected:
  void Execute() override {
    pid_t pid = -1;
    int inW = -1, outR = -1;
    const char *what = "";
    int e = SpawnShimProcess(shim_, stateDir_, -1, &pid, &inW, &outR, &what);
    if (e) { errno = e; return Fail(what); }
    answer_ = FeedShim(pid, inW, outR, input_);
  }

  void OnOK() override { deferred_.Resolve(Napi::String::New(Env(), answer_)); }
  void OnError(const Napi::Error &e) override { deferred_.Reject(e.Value()); }

 private:
  void Fail(const char *what) { SetError(std::string(what) + ": " + strerror(errno)); }

  Napi::Promise::Deferred deferred_;
  std::string shim_, stateDir_;
  std::vector<char> input_;
  std::string answer_;
};

Napi::Value SpawnShim(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[0].IsString() || !info[1].IsString() || !info[2].IsBuffer()) {
    Napi::TypeError::New(env, "spawnShim(shimPath: string, stateDir: string, bootstrap: Buffer)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  auto buf = info[2].As<Napi::Buffer<char>>();
  auto *w = new SpawnShimWorker(env, info[0].As<Napi::String>(), info[1].As<Napi::String>(),
                                std::vector<char>(buf.Data(), buf.Data() + buf.Length()));
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}


// finishShim's worker: FeedShim on the thread pool.
class FinishShimWorker : public Napi::AsyncWorker {
 public:
  FinishShimWorker(Napi::Env env, pid_t pid, int inW, int outR, std::vector<char> input)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), pid_(pid), inW_(inW), outR_(outR),
        input_(std::move(input)) {}
  Napi::Promise Promise() { return deferred_.Promise(); }

 protected:
  void Execute() override { answer_ = FeedShim(pid_, inW_, outR_, input_); }
  void OnOK() override { deferred_.Resolve(Napi::String::New(Env(), answer_)); }
  void OnError(const Napi::Error &e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  pid_t pid_;
  int inW_, outR_;
  std::vector<char> input_;
  std::string answer_;
};

Napi::Value LaunchShim(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[0].IsString() || !info[1].IsString() || !info[2].IsNumber() ||
      (info.Length() >= 5 && (!info[3].IsNumber() || !info[4].IsArray()))) {
    Napi::TypeError::New(env, "launchShim(shimPath: string, stateDir: string, passFd: number[, zygoteFd: number, env: string[]])").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  pid_t pid = -1;
  int inW = -1, outR = -1;
  const char *what = "";
  int e;
  int zfd = info.Length() >= 5 ? info[3].As<Napi::Number>().Int32Value() : -1;
  if (zfd >= 0) {
    std::vector<std::string> vars;
    Napi::Array arr = info[4].As<Napi::Array>();
    for (uint32_t i = 0; i < arr.Length(); i++) vars.push_back(arr.Get(i).ToString().Utf8Value());
    int io[2] = {-1, -1};
    e = ZygoteRequest(zfd, info[1].As<Napi::String>(), vars, info[2].As<Napi::Number>().Int32Value(), io);
    what = "zygote request";
    pid = 0;
    inW = io[0];
    outR = io[1];
  } else {
    e = SpawnShimProcess(info[0].As<Napi::String>(), info[1].As<Napi::String>(), info[2].As<Napi::Number>().Int32Value(), &pid,
                         &inW, &outR, &what);
  }
  if (e) {
    Napi::Error err = Napi::Error::New(env, std::string(what) + ": " + strerror(e));
    err.Set("errno", Napi::Number::New(env, e));
    err.ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Array r = Napi::Array::New(env, 3);
  r.Set(0u, Napi::Number::New(env, pid));
  r.Set(1u, Napi::Number::New(env, inW));
  r.Set(2u, Napi::Number::New(env, outR));
  return r;
}

Napi::Value FinishShim(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (info.Length() < 4 || !info[0].IsNumber() || !info[1].IsNumber() || !info[2].IsNumber() || !info[3].IsBuffer()) {
    Napi::TypeError::New(env, "finishShim(pid: number, stdinFd: number, stdoutFd: number, bootstrap: Buffer)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  auto buf = info[3].As<Napi::Buffer<char>>();
  int inW = info[1].As<Napi::Number>().Int32Value();
  const char *data = buf.Data();
  size_t len = buf.Length();
  // A bootstrap that fits in the (empty) pipe is written here, without waiting for a worker
  // thread to wake up (the shim is already blocked reading it); non-blocking, so a partial
  // write cannot stall the event loop: the worker writes what is left.
  int cap = fcntl(inW, F_GETPIPE_SZ);
  if (cap > 0 && len <= (size_t)cap) {
    int fl = fcntl(inW, F_GETFL);
    if (fl >= 0 && fcntl(inW, F_SETFL, fl | O_NONBLOCK) == 0) {
      ssize_t n;
      do n = write(inW, data, len); while (n < 0 && errno == EINTR);
      if (n > 0) { data += n; len -= n; }
      if (len == 0 || (n < 0 && errno != EAGAIN)) { close(inW); inW = -1; }  // done, or the shim is gone (EPIPE)
      else fcntl(inW, F_SETFL, fl);
    }
  }
  auto *w = new FinishShimWorker(env, info[0].As<Napi::Number>().Int32Value(), inW, info[2].As<Napi::Number>().Int32Value(),
                                 std::vector<char>(data, data + len));
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

// startZygote's worker: spawn `shim --zygote` (its intermediate exits at once), read the zygote's hello (its pid).
class StartZygoteWorker : public Napi::AsyncWorker {
 public:
  StartZygoteWorker(Napi::Env env, std::string shim) : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), shim_(std::move(shim)) {}
  Napi::Promise Promise() { return deferred_.Promise(); }

 protected:
  void Execute() override {
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) return Fail("socketpair");
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    posix_spawn_file_actions_init(&fa);
    detachedSpawnAttr(&attr);
    posix_spawn_file_actions_adddup2(&fa, sv[1], 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    // the blank argument is room for the forked shims' `--fork <stateDir>` (zygote.c set_cmdline;
    // a state directory fits in a unix socket path with `/shim.sock`: < 108 bytes)
    const std::string room(128, ' ');
    const char *argv[] = {shim_.c_str(), "--zygote", room.c_str(), nullptr};
    pid_t pid = -1;
    int rc = posix_spawn(&pid, shim_.c_str(), &fa, &attr, const_cast<char **>(argv), environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    close(sv[1]);
    if (rc != 0) { close(sv[0]); errno = rc; return Fail("posix_spawn"); }
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
    char hello[32];
    ssize_t n;
    do n = recv(sv[0], hello, sizeof(hello) - 1, 0); while (n < 0 && errno == EINTR);
    if (n <= 0) { close(sv[0]); errno = n < 0 ? errno : EPIPE; return Fail("zygote hello"); }
    hello[n] = 0;
    pid_ = atoi(hello);
    fd_ = sv[0];
  }
  void OnOK() override {
    Napi::Array r = Napi::Array::New(Env(), 2);
    r.Set(0u, Napi::Number::New(Env(), pid_));
    r.Set(1u, Napi::Number::New(Env(), fd_));
    deferred_.Resolve(r);
  }
  void OnError(const Napi::Error &e) override { deferred_.Reject(e.Value()); }

 private:
  void Fail(const char *what) { SetError(std::string(what) + ": " + strerror(errno)); }
  Napi::Promise::Deferred deferred_;
  std::string shim_;
  int pid_ = 0, fd_ = -1;
};

Napi::Value StartZygote(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) {
    Napi::TypeError::New(env, "startZygote(shimPath: string)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  auto *w = new StartZygoteWorker(env, info[0].As<Napi::String>());
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

Napi::Value LoadDeviceProgram(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array ||
      info[0].As<Napi::TypedArray>().ElementLength() % 4) {
    Napi::TypeError::New(env, "loadDeviceProgram(rules: Int32Array of (type, major, minor, access) quadruples)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  auto a = info[0].As<Napi::Int32Array>();
  int fd = berth_device_prog_load(a.Data(), a.ElementLength() / 4);
  if (fd < 0) {
    Napi::Error err = Napi::Error::New(env, std::string("bpf prog load: ") + strerror(-fd));
    err.Set("errno", Napi::Number::New(env, -fd));
    err.ThrowAsJavaScriptException();
    return env.Undefined();
  }
  return Napi::Number::New(env, fd);
}

// mount(2) / umount2(2) on the thread pool: the graph driver's mounts without forking the daemon
// (a fork of a ~100 MB process blocks the event loop for milliseconds). Absolute paths only: the
// daemon's working directory is not the driver's home.
class MountWorker : public Napi::AsyncWorker {
 public:
  MountWorker(Napi::Env env, bool mount, std::string a, std::string b, std::string c, std::string d, unsigned long flags)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), mount_(mount), a_(std::move(a)),
        b_(std::move(b)), c_(std::move(c)), d_(std::move(d)), flags_(flags) {}
  Napi::Promise Promise() { return deferred_.Promise(); }

 protected:
  void Execute() override {
    int r = mount_ ? ::mount(a_.c_str(), b_.c_str(), c_.c_str(), flags_, d_.empty() ? nullptr : d_.c_str())
                   : ::umount2(a_.c_str(), (int)flags_);
    if (r < 0) { err_ = errno; SetError(std::string(mount_ ? "mount " : "umount ") + (mount_ ? b_ : a_) + ": " + strerror(errno)); }
  }
  void OnOK() override { deferred_.Resolve(Env().Undefined()); }
  void OnError(const Napi::Error &e) override {
    Napi::Error err = Napi::Error::New(Env(), e.Message());
    err.Set("errno", Napi::Number::New(Env(), err_));
    deferred_.Reject(err.Value());
  }

 private:
  Napi::Promise::Deferred deferred_;
  bool mount_;
  std::string a_, b_, c_, d_;
  unsigned long flags_;
  int err_ = 0;
};

// mount(source, target, fstype, flags, data) -> Promise<void>; rejects with { message, errno }
Napi::Value Mount(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (info.Length() < 5 || !info[0].IsString() || !info[1].IsString() || !info[2].IsString() || !info[3].IsNumber() || !info[4].IsString()) {
    Napi::TypeError::New(env, "mount(source: string, target: string, fstype: string, flags: number, data: string)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  auto *w = new MountWorker(env, true, info[0].As<Napi::String>(), info[1].As<Napi::String>(), info[2].As<Napi::String>(),
                            info[4].As<Napi::String>(), (unsigned long)info[3].As<Napi::Number>().Int64Value());
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

// umount(target, flags) -> Promise<void>; rejects with { message, errno }
Napi::Value Umount(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsString() || !info[1].IsNumber()) {
    Napi::TypeError::New(env, "umount(target: string, flags: number)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  auto *w = new MountWorker(env, false, info[0].As<Napi::String>(), "", "", "", (unsigned long)info[1].As<Napi::Number>().Int64Value());
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

// writeAtomic(entries) -> Promise<void>, entries: [file, tmp, data, mode, sync, syncDir][]
// core/fs/atomic-write's steps for one or more files in one thread-pool job:
// each tmp is opened (O_EXCL) and written, then those with `sync` are
// fsynced (after the first, the journal commit that carried them all makes
// the rest cheap), closed and renamed onto their files, then the
// directories of those with `syncDir` fsynced. One pool round trip instead
// of three per file (each ~40-90 µs of event-loop time on this class of VM).
// On a failure the job stops: files renamed before it stay written, the
// other temp files are unlinked. Rejects like node's fs: { code: 'ENOENT',
// errno, syscall, path }.
struct AtomicEntry {
  std::string file, tmp, data;
  int mode;
  bool sync, syncDir;
  int fd = -1;
  bool renamed = false;
};

class WriteAtomicWorker : public Napi::AsyncWorker {
 public:
  WriteAtomicWorker(Napi::Env env, std::vector<AtomicEntry> entries)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), entries_(std::move(entries)) {}
  Napi::Promise Promise() { return deferred_.Promise(); }

 protected:
  void Execute() override {
    for (auto &e : entries_) {
      e.fd = ::open(e.tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, e.mode);
      if (e.fd < 0) { fail("open", e.tmp); return; }
      size_t off = 0;
      while (off < e.data.size()) {
        ssize_t n = ::write(e.fd, e.data.data() + off, e.data.size() - off);
        if (n < 0) { if (errno == EINTR) continue; fail("write", e.tmp); return; }
        off += (size_t)n;
      }
    }
    for (auto &e : entries_) if (e.sync && ::fsync(e.fd) < 0) { fail("fsync", e.tmp); return; }
    for (auto &e : entries_) {
      int r = ::close(e.fd);
      e.fd = -1;
      if (r < 0) { fail("close", e.tmp); return; }
    }
    for (auto &e : entries_) {
      if (::rename(e.tmp.c_str(), e.file.c_str()) < 0) { fail("rename", e.tmp); return; }
      e.renamed = true;
    }
    std::vector<std::string> synced;
    for (auto &e : entries_) {
      if (!e.syncDir) continue;
      std::string dir = e.file.substr(0, e.file.find_last_of('/') + 1);
      if (dir.empty()) dir = ".";
      bool seen = false;
      for (auto &d : synced) seen = seen || d == dir;
      if (seen) continue;
      synced.push_back(dir);
      int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (dfd < 0) { fail("open", dir); return; }
      int r = ::fsync(dfd);
      int err = errno;
      ::close(dfd);
      if (r < 0) { errno = err; fail("fsync", dir); return; }
    }
  }
  void OnOK() override { deferred_.Resolve(Env().Undefined()); }
  void OnError(const Napi::Error &) override {
    Napi::Env env = Env();
    const char *name = strerrorname_np(err_);
    Napi::Error err = Napi::Error::New(env, std::string(name ? name : "EIO") + ": " + strerror(err_) + ", " + syscall_ + " '" + path_ + "'");
    err.Set("code", Napi::String::New(env, name ? name : "EIO"));
    err.Set("errno", Napi::Number::New(env, -err_));
    err.Set("syscall", Napi::String::New(env, syscall_));
    err.Set("path", Napi::String::New(env, path_));
    deferred_.Reject(err.Value());
  }

 private:
  // records errno and the failed step; closes the open fds and unlinks the temp files not renamed
  void fail(const char *syscall, const std::string &path) {
    err_ = errno;
    for (auto &e : entries_) {
      if (e.fd >= 0) { ::close(e.fd); e.fd = -1; }
      if (!e.renamed) ::unlink(e.tmp.c_str());
    }
    syscall_ = syscall;
    path_ = path;
    SetError(syscall);
  }
  Napi::Promise::Deferred deferred_;
  std::vector<AtomicEntry> entries_;
  int err_ = 0;
  std::string syscall_, path_;
};

Napi::Value WriteAtomic(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  const char *usage = "writeAtomic(entries: Array<[file: string, tmp: string, data: Buffer, mode: number, sync: boolean, syncDir: boolean]>)";
  if (info.Length() < 1 || !info[0].IsArray()) { Napi::TypeError::New(env, usage).ThrowAsJavaScriptException(); return env.Undefined(); }
  Napi::Array list = info[0].As<Napi::Array>();
  std::vector<AtomicEntry> entries;
  for (uint32_t i = 0; i < list.Length(); i++) {
    Napi::Value v = list.Get(i);
    if (!v.IsArray()) { Napi::TypeError::New(env, usage).ThrowAsJavaScriptException(); return env.Undefined(); }
    Napi::Array a = v.As<Napi::Array>();
    Napi::Value f = a.Get(0u), t = a.Get(1u), d = a.Get(2u), m = a.Get(3u);
    if (!f.IsString() || !t.IsString() || !d.IsBuffer() || !m.IsNumber()) { Napi::TypeError::New(env, usage).ThrowAsJavaScriptException(); return env.Undefined(); }
    auto buf = d.As<Napi::Buffer<char>>();
    entries.push_back(AtomicEntry{ f.As<Napi::String>(), t.As<Napi::String>(), std::string(buf.Data(), buf.Length()),
                                   m.As<Napi::Number>().Int32Value(), a.Get(4u).ToBoolean(), a.Get(5u).ToBoolean() });
  }
  auto *w = new WriteAtomicWorker(env, std::move(entries));
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

Napi::Value MallocTrim(const Napi::CallbackInfo &info) {
  return Napi::Number::New(info.Env(), malloc_trim(0));
}

Napi::Value ReduceMemory(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  std::string mode = info.Length() > 0 && info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : "low";
#ifdef BERTH_HAVE_V8
  v8::Isolate *isolate = v8::Isolate::GetCurrent();
  if (isolate == nullptr) return Napi::Boolean::New(env, false);
  if (mode == "critical") {
    isolate->MemoryPressureNotification(v8::MemoryPressureLevel::kCritical);
    isolate->MemoryPressureNotification(v8::MemoryPressureLevel::kNone);
  } else {
    isolate->LowMemoryNotification();
  }
  return Napi::Boolean::New(env, true);
#else
  (void)mode;
  return Napi::Boolean::New(env, false);
#endif
}

Napi::Value Execve(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[0].IsString() || !info[1].IsArray() || !info[2].IsArray()) {
    Napi::TypeError::New(env, "execve(path: string, argv: string[], env: string[])").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  std::string path = info[0].As<Napi::String>();
  std::vector<std::string> args, envs;
  for (auto *pair : {&args, &envs}) {
    Napi::Array a = info[pair == &args ? 1 : 2].As<Napi::Array>();
    for (uint32_t i = 0; i < a.Length(); i++) pair->push_back(a.Get(i).ToString());
  }
  std::vector<char *> argv, envp;
  for (auto &a : args) argv.push_back(const_cast<char *>(a.c_str()));
  for (auto &e : envs) envp.push_back(const_cast<char *>(e.c_str()));
  argv.push_back(nullptr);
  envp.push_back(nullptr);
  // Node marks stdin/stdout/stderr close-on-exec at start-up: keep them.
  for (int fd = 0; fd < 3; fd++) {
    int fl = fcntl(fd, F_GETFD);
    if (fl >= 0) fcntl(fd, F_SETFD, fl & ~FD_CLOEXEC);
  }
  execve(path.c_str(), argv.data(), envp.data());
  int err = errno;
  Napi::Error e = Napi::Error::New(env, std::string("execve ") + path + ": " + strerror(err));
  e.Set("errno", Napi::Number::New(env, err));
  e.ThrowAsJavaScriptException();
  return env.Undefined();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("version", Napi::String::New(env, "1"));
  exports.Set("spawnShim", Napi::Function::New(env, SpawnShim));
  exports.Set("startZygote", Napi::Function::New(env, StartZygote));
  exports.Set("launchShim", Napi::Function::New(env, LaunchShim));
  exports.Set("finishShim", Napi::Function::New(env, FinishShim));
  exports.Set("loadDeviceProgram", Napi::Function::New(env, LoadDeviceProgram));
  exports.Set("mallocTrim", Napi::Function::New(env, MallocTrim));
  exports.Set("reduceMemory", Napi::Function::New(env, ReduceMemory));
  exports.Set("execve", Napi::Function::New(env, Execve));
  exports.Set("mount", Napi::Function::New(env, Mount));
  exports.Set("umount", Napi::Function::New(env, Umount));
  exports.Set("writeAtomic", Napi::Function::New(env, WriteAtomic));
  return exports;
}

}  // namespace

NODE_API_MODULE(berth_exec, Init)
