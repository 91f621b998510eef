// berth_net: Node-API bindings over rtnl.c / netns.c for the bridge driver.
//
// All calls are synchronous: each is a handful of netlink round trips
// (tens of microseconds), cheaper than handing work to the thread pool, and
// the namespace switches in netns.c must happen on one thread anyway.
// Failures throw an Error whose `code` is the errno name (`EEXIST`) and whose
// message names the operation and the object.
#include <napi.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <functional>
#include <string>
#include <sys/socket.h>

#include "rtnl.h"

namespace {

const char *errno_name(int e) {
  switch (e) {
    case EEXIST: return "EEXIST";
    case ENOENT: return "ENOENT";
    case ENODEV: return "ENODEV";
    case EPERM: return "EPERM";
    case EINVAL: return "EINVAL";
    case EBUSY: return "EBUSY";
    case EADDRINUSE: return "EADDRINUSE";
    case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
    case ENETUNREACH: return "ENETUNREACH";
    case EOPNOTSUPP: return "EOPNOTSUPP";
    default: return "EIO";
  }
}

Napi::Error errnoError(Napi::Env env, const std::string &what, int negerr) {
  int e = -negerr;
  Napi::Error err = Napi::Error::New(env, what + ": " + strerror(e));
  err.Set("code", Napi::String::New(env, errno_name(e)));
  err.Set("errno", Napi::Number::New(env, e));
  return err;
}

Napi::Value fail(Napi::Env env, const std::string &what, int negerr) {
  errnoError(env, what, negerr).ThrowAsJavaScriptException();
  return env.Undefined();
}

uint32_t parse_ip4(const std::string &s, bool *ok) {
  struct in_addr a;
  *ok = inet_pton(AF_INET, s.c_str(), &a) == 1;
  return a.s_addr;
}

std::string str(const Napi::Object &o, const char *key) {
  Napi::Value v = o.Get(key);
  return v.IsString() ? v.As<Napi::String>().Utf8Value() : std::string();
}

int num(const Napi::Object &o, const char *key, int dflt) {
  Napi::Value v = o.Get(key);
  return v.IsNumber() ? v.As<Napi::Number>().Int32Value() : dflt;
}

struct Sock {
  int fd;
  explicit Sock(int f) : fd(f) {}
  ~Sock() { rtnl_close(fd); }
};

// bridgeEnsure({ name, mtu, address, prefixLen }): creates the bridge if missing, adds the address, sets it up. Returns ifindex.
Napi::Value BridgeEnsure(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  Napi::Object o = info[0].As<Napi::Object>();
  std::string name = str(o, "name");
  int mtu = num(o, "mtu", 0);
  int fd = rtnl_open_in(nullptr);
  if (fd < 0) return fail(env, "netlink socket", fd);
  Sock s(fd);
  int idx = rtnl_bridge_add(fd, name.c_str(), mtu);
  if (idx < 0) return fail(env, "create bridge " + name, idx);
  std::string addr = str(o, "address");
  if (!addr.empty()) {
    bool ok;
    uint32_t a = parse_ip4(addr, &ok);
    if (!ok) return fail(env, "bad address " + addr, -EINVAL);
    int err = rtnl_addr_add4(fd, idx, a, num(o, "prefixLen", 16));
    if (err < 0) return fail(env, "address " + addr + " on " + name, err);
  }
  int err = rtnl_link_set_up(fd, idx, 1, mtu);
  if (err < 0) return fail(env, "set " + name + " up", err);
  return Napi::Number::New(env, idx);
}

// linkDelete(name): true when it existed.
Napi::Value LinkDelete(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  std::string name = info[0].As<Napi::String>().Utf8Value();
  int fd = rtnl_open_in(nullptr);
  if (fd < 0) return fail(env, "netlink socket", fd);
  Sock s(fd);
  int err = rtnl_link_del(fd, name.c_str());
  if (err == -ENODEV) return Napi::Boolean::New(env, false);
  if (err < 0) return fail(env, "delete link " + name, err);
  return Napi::Boolean::New(env, true);
}

// A call on a libuv pool thread, settling a promise: `run` returns 0 or
// -errno there; `settle` turns the result into the promise's value on the JS
// thread (or returns an empty value to reject with `what: strerror`).
class ErrnoWorker : public Napi::AsyncWorker {
 public:
  using Settle = std::function<Napi::Value(Napi::Env, int)>;
  ErrnoWorker(Napi::Env env, std::string what, std::function<int()> run, Settle settle)
      : Napi::AsyncWorker(env), what_(std::move(what)), run_(std::move(run)), settle_(std::move(settle)),
        deferred_(Napi::Promise::Deferred::New(env)) {}
  static Napi::Promise Start(Napi::Env env, std::string what, std::function<int()> run, Settle settle) {
    auto *w = new ErrnoWorker(env, std::move(what), std::move(run), std::move(settle));
    Napi::Promise p = w->deferred_.Promise();
    w->Queue();
    return p;
  }
  void Execute() override { err_ = run_(); }
  void OnOK() override {
    Napi::Env env = Env();
    Napi::Value v = settle_(env, err_);
    if (v.IsEmpty()) deferred_.Reject(errnoError(env, what_, err_).Value());
    else deferred_.Resolve(v);
  }

 private:
  std::string what_;
  std::function<int()> run_;
  Settle settle_;
  Napi::Promise::Deferred deferred_;
  int err_ = 0;
};

// linkDeleteAsync(name): Promise<boolean>. Deleting a veth waits in the kernel for
// RCU grace periods (~25 ms): done on a libuv pool thread (in the daemon's own
// namespace, like every thread) so the event loop keeps running meanwhile.
Napi::Value LinkDeleteAsync(const Napi::CallbackInfo &info) {
  std::string name = info[0].As<Napi::String>().Utf8Value();
  return ErrnoWorker::Start(info.Env(), "delete link " + name,
    [name]() {
      int fd = rtnl_open_in(nullptr);
      if (fd < 0) return fd;
      int err = rtnl_link_del(fd, name.c_str());
      rtnl_close(fd);
      return err;
    },
    [](Napi::Env env, int err) -> Napi::Value {
      if (err == -ENODEV) return Napi::Boolean::New(env, false);
      if (err < 0) return Napi::Value();
      return Napi::Boolean::New(env, true);
    });
}

// linkIndex(name, nspath?): ifindex or -1.
Napi::Value LinkIndex(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  std::string name = info[0].As<Napi::String>().Utf8Value();
  std::string ns = info.Length() > 1 && info[1].IsString() ? info[1].As<Napi::String>().Utf8Value() : std::string();
  int fd = rtnl_open_in(ns.empty() ? nullptr : ns.c_str());
  if (fd < 0) return fail(env, "netlink socket", fd);
  Sock s(fd);
  int idx = rtnl_link_index(fd, name.c_str());
  return Napi::Number::New(env, idx < 0 ? -1 : idx);
}

// vethJoin({ hostName, bridge, mtu, netnsPath, ifName, mac, address, prefixLen, gateway }):
// creates the pair with the peer directly in the sandbox, then configures it there.
Napi::Value VethJoin(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  Napi::Object o = info[0].As<Napi::Object>();
  std::string host = str(o, "hostName"), bridge = str(o, "bridge"), ns = str(o, "netnsPath");
  std::string ifname = str(o, "ifName"), macs = str(o, "mac"), addr = str(o, "address"), gw = str(o, "gateway");
  int mtu = num(o, "mtu", 0), prefix = num(o, "prefixLen", 16);
  unsigned char mac[6];
  bool have_mac = false;
  if (!macs.empty()) {
    unsigned int b[6];
    if (sscanf(macs.c_str(), "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]) != 6)
      return fail(env, "bad mac " + macs, -EINVAL);
    for (int i = 0; i < 6; i++) mac[i] = (unsigned char)b[i];
    have_mac = true;
  }
  bool ok = true;
  uint32_t a = addr.empty() ? 0 : parse_ip4(addr, &ok);
  if (!ok) return fail(env, "bad address " + addr, -EINVAL);
  uint32_t g = gw.empty() ? 0 : parse_ip4(gw, &ok);
  if (!ok) return fail(env, "bad gateway " + gw, -EINVAL);

  int fd = rtnl_open_in(nullptr);
  if (fd < 0) return fail(env, "netlink socket", fd);
  Sock s(fd);
  int master = 0;
  if (!bridge.empty()) {
    master = rtnl_link_index(fd, bridge.c_str());
    if (master < 0) return fail(env, "bridge " + bridge, master);
  }
  int nsfd = open(ns.c_str(), O_RDONLY | O_CLOEXEC);
  if (nsfd < 0) return fail(env, "open sandbox " + ns, -errno);
  int err = rtnl_veth_add(fd, host.c_str(), master, mtu, ifname.c_str(), nsfd, have_mac ? mac : nullptr);
  close(nsfd);
  if (err < 0) return fail(env, "create veth " + host, err);

  int nfd = rtnl_open_in(ns.c_str());
  if (nfd < 0) {
    rtnl_link_del(fd, host.c_str());
    return fail(env, "netlink socket in " + ns, nfd);
  }
  Sock ns_sock(nfd);
  int idx = rtnl_link_index(nfd, ifname.c_str());
  std::string step = "find " + ifname;
  err = idx;
  if (idx > 0 && a) { step = "address " + addr; err = rtnl_addr_add4(nfd, idx, a, prefix); }
  if (err >= 0) { step = "set " + ifname + " up"; err = rtnl_link_set_up(nfd, idx, 1, 0); }
  if (err >= 0 && g) {
    step = "default route via " + gw;
    err = rtnl_route_default4(nfd, g);
    if (err == -EEXIST) err = 0;  // the sandbox already has a default route through another network
  }
  if (err < 0) {
    rtnl_link_del(fd, host.c_str());
    return fail(env, step + " in " + ns, err);
  }
  return Napi::Number::New(env, idx);
}

// netnsCreate(path) / netnsDestroy(path)
Napi::Value NetnsCreate(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  std::string path = info[0].As<Napi::String>().Utf8Value();
  int err = netns_create(path.c_str());
  if (err < 0) return fail(env, "create sandbox " + path, err);
  return env.Undefined();
}

// netnsCreateAsync(path): Promise<void>. netnsCreate on a libuv pool thread:
// the unshare (~0.5 ms in the kernel) leaves the event loop free. The pool
// thread joins the new namespace only inside netns_create, which setns()es it
// back before returning.
Napi::Value NetnsCreateAsync(const Napi::CallbackInfo &info) {
  std::string path = info[0].As<Napi::String>().Utf8Value();
  return ErrnoWorker::Start(info.Env(), "create sandbox " + path,
    [path]() { return netns_create(path.c_str()); },
    [](Napi::Env env, int err) -> Napi::Value { return err < 0 ? Napi::Value() : env.Undefined(); });
}

Napi::Value NetnsDestroy(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  std::string path = info[0].As<Napi::String>().Utf8Value();
  int err = netns_destroy(path.c_str());
  if (err < 0) return fail(env, "destroy sandbox " + path, err);
  return env.Undefined();
}

// bindInNetns(path, 'udp'|'tcp', address, port): fd of a bound (listening for tcp) socket inside the sandbox.
Napi::Value BindInNetns(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  std::string path = info[0].As<Napi::String>().Utf8Value();
  std::string type = info[1].As<Napi::String>().Utf8Value();
  std::string addr = info[2].As<Napi::String>().Utf8Value();
  int port = info[3].As<Napi::Number>().Int32Value();
  bool ok;
  uint32_t a = parse_ip4(addr, &ok);
  if (!ok) return fail(env, "bad address " + addr, -EINVAL);
  int fd = socket_in_netns(path.c_str(), type == "tcp" ? SOCK_STREAM : SOCK_DGRAM, a, port);
  if (fd < 0) return fail(env, "bind " + type + " " + addr + ":" + std::to_string(port) + " in " + path, fd);
  return Napi::Number::New(env, fd);
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("bridgeEnsure", Napi::Function::New(env, BridgeEnsure));
  exports.Set("linkDelete", Napi::Function::New(env, LinkDelete));
  exports.Set("linkDeleteAsync", Napi::Function::New(env, LinkDeleteAsync));
  exports.Set("linkIndex", Napi::Function::New(env, LinkIndex));
  exports.Set("vethJoin", Napi::Function::New(env, VethJoin));
  exports.Set("netnsCreate", Napi::Function::New(env, NetnsCreate));
  exports.Set("netnsCreateAsync", Napi::Function::New(env, NetnsCreateAsync));
  exports.Set("netnsDestroy", Napi::Function::New(env, NetnsDestroy));
  exports.Set("bindInNetns", Napi::Function::New(env, BindInNetns));
  return exports;
}

}  // namespace

NODE_API_MODULE(berth_net, Init)
