{
  "target_defaults": {
    "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
    "cflags_cc": ["-std=c++17", "-O3", "-fexceptions", "-fPIC", "-Wall", "-Wno-unused-function"],
    "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")", "src"],
    "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"]
  },
  "targets": [
    {
      "target_name": "kernels_avx512",
      "type": "static_library",
      "sources": ["<!@(find src/kernels/avx512 -name *.cc)"],
      "cflags_cc": ["-march=sapphirerapids", "-mtune=sapphirerapids", "-mprefer-vector-width=512"]
    },
    {
      "target_name": "kernels_avx2",
      "type": "static_library",
      "sources": ["<!@(find src/kernels/avx2 -name *.cc)"],
      "cflags_cc": ["-mavx2", "-mfma", "-mf16c"]
    },
    {
      "target_name": "pdserve_native",
      "dependencies": ["kernels_avx512", "kernels_avx2"],
      "sources": [
        "<!@(find src -maxdepth 1 -name *.cc; find src/runtime src/kernels/portable src/bindings src/model -name *.cc; find src/ucx -maxdepth 1 -name *.cc; find src/kernels -maxdepth 1 -name *.cc)"
      ],
      "libraries": ["-ldnnl", "-lpthread", "-lrt"]
    },
    {
      "target_name": "pdserve_ucx",
      "type": "shared_library",
      "product_dir": "<(PRODUCT_DIR)",
      "sources": ["<!@(find src/ucx/core -name *.cc)"],
      "ldflags": ["-Wl,-z,defs"],
      "libraries": ["-lucp", "-lucs"]
    }
  ]
}
