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

namespace {

class SpawnShimWorker : public Napi::AsyncWorker {
 public:
  SpawnShimWorker(Napi::Env env, std::string shim, std::string stateDir, std::vector<char> input)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), shim_(std::move(shim)),
        stateDir_(std::move(stateDir)), input_(std::move(input)) {}

  Napi::Promise Promise() { return deferred_.Promise(); }

 protected:
  void Execute() override {
    int in[2] = {-1, -1}, out[2] = {-1, -1};
    if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0) return Fail("pipe2");
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    posix_spawn_file_actions_init(&fa);
    posix_spawnattr_init(&attr);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    const char *argv[] = {shim_.c_str(), "--fork", stateDir_.c_str(), nullptr};
    pid_t pid = -1;
    int rc = posix_spawn(&pid, shim_.c_str(), &fa, &attr, const_cast<char **>(argv), environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    close(in[0]);
    close(out[1]);
    if (rc != 0) {
      close(in[1]);
      close(out[0]);
      errno = rc;
      return Fail("posix_spawn");
    }
    // the intermediate process exits right after forking the real shim
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
    size_t off = 0;
    while (off < input_.size()) {
      ssize_t n = write(in[1], input_.data() + off, input_.size() - off);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) break;  // the shim died; its answer (or EOF) tells why
      off += n;
    }
    close(in[1]);
    char buf[1024];
    for (;;) {
      ssize_t n = read(out[0], buf, sizeof(buf));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      answer_.append(buf, n);
      if (answer_.find('\n') != std::string::npos) break;
    }
    close(out[0]);
    if (answer_.empty()) answer_ = "err berth-shim exited before starting the container\n";
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
  exports.Set("mallocTrim", Napi::Function::New(env, MallocTrim));
  exports.Set("mount", Napi::Function::New(env, Mount));
  exports.Set("umount", Napi::Function::New(env, Umount));
  return exports;
}

}  // namespace

NODE_API_MODULE(berth_exec, Init)
