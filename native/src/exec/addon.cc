// Placeholder entry of the berth_exec addon; the exec driver fills it in.
#include <napi.h>
static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("version", Napi::String::New(env, "0"));
  return exports;
}
NODE_API_MODULE(berth_exec, Init)
