/* Loads a .node with RTLD_NOW (every symbol resolved at once) and looks up the
   Node-API module entry point: proof that a musl build links and resolves
   under the musl loader, where no musl Node is available. */
#include <dlfcn.h>
#include <stdio.h>

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: dlopen-check <file.node>\n");
    return 2;
  }
  void *handle = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    fprintf(stderr, "dlopen: %s\n", dlerror());
    return 1;
  }
  if (!dlsym(handle, "napi_register_module_v1")) {
    fprintf(stderr, "dlsym: %s\n", dlerror());
    return 1;
  }
  printf("dlopen-check: %s loaded, napi_register_module_v1 found\n", argv[1]);
  return 0;
}
