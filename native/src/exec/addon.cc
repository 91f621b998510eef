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
// launchShim(shimPath, stateDir, passFd) -> [pid, stdinFd, stdoutFd]
// finishShim(pid, stdinFd, stdoutFd, bootstrap) -> Promise<string>
//   spawnShim in two halves, so the daemon prepares the bootstrap (cgroups,
//   seccomp records, mount plan) while the shim execs instead of before:
//   launchShim posix_spawns `berth-shim --fork <stateDir>` on the calling
//   thread (the same attributes as spawnShim; the caller only waits for the
//   vfork'd child's execve) and returns the pipe ends; the shim blocks reading
//   its stdin. finishShim writes the bootstrap, reaps the intermediate and
//   reads the answer on a worker thread, and closes both fds. An empty
//   bootstrap aborts: the shim reads EOF, answers `err` and exits. Every
//   launchShim must be followed by exactly one finishShim. passFd >= 0 is
//   inherited by the shim as fd 3 (the device program, below), -1 for none.
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
#include <napi.h>

#include <malloc.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

extern char **environ;
extern "C" int berth_device_prog_load(const int *quads, size_t n);

namespace {

// posix_spawn of `shim --fork stateDir` with stdin/stdout pipes (returned: our ends), stderr /dev/null,
// every signal at its default, an empty mask, a new session; passFd (>= 0) becomes the shim's fd 3.
// 0, or an errno with what set to the failing step.
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
  posix_spawnattr_init(&attr);
  posix_spawn_file_actions_adddup2(&fa, in[0], 0);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  if (passFd >= 0) posix_spawn_file_actions_adddup2(&fa, passFd, 3);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
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

// The second half of a shim start: bootstrap to stdin (then EOF), reap the intermediate, read the answer line.
static std::string FeedShim(pid_t pid, int inW, int outR, const std::vector<char> &input) {
  size_t off = 0;
  while (off < input.size()) {
    ssize_t n = write(inW, input.data() + off, input.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;  // the shim died; its answer (or EOF) tells why
    off += n;
  }
  close(inW);
  // the intermediate process exits right after forking the real shim
  int st;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
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
  if (info.Length() < 3 || !info[0].IsString() || !info[1].IsString() || !info[2].IsNumber()) {
    Napi::TypeError::New(env, "launchShim(shimPath: string, stateDir: string, passFd: number)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  pid_t pid = -1;
  int inW = -1, outR = -1;
  const char *what = "";
  int e = SpawnShimProcess(info[0].As<Napi::String>(), info[1].As<Napi::String>(), info[2].As<Napi::Number>().Int32Value(), &pid,
                           &inW, &outR, &what);
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
  auto *w = new FinishShimWorker(env, info[0].As<Napi::Number>().Int32Value(), info[1].As<Napi::Number>().Int32Value(),
                                 info[2].As<Napi::Number>().Int32Value(), std::vector<char>(buf.Data(), buf.Data() + buf.Length()));
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

Napi::Value MallocTrim(const Napi::CallbackInfo &info) {
  return Napi::Number::New(info.Env(), malloc_trim(0));
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("version", Napi::String::New(env, "1"));
  exports.Set("spawnShim", Napi::Function::New(env, SpawnShim));
  exports.Set("launchShim", Napi::Function::New(env, LaunchShim));
  exports.Set("finishShim", Napi::Function::New(env, FinishShim));
  exports.Set("loadDeviceProgram", Napi::Function::New(env, LoadDeviceProgram));
  exports.Set("mallocTrim", Napi::Function::New(env, MallocTrim));
  exports.Set("mount", Napi::Function::New(env, Mount));
  exports.Set("umount", Napi::Function::New(env, Umount));
  return exports;
}

}  // namespace

NODE_API_MODULE(berth_exec, Init)
