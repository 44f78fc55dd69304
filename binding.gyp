{
  # CPU addon. One .node target (gnn_kernels); the AVX2 and AVX-512 kernels are compiled in their
  # own static libraries with their own -m flags and chosen at run time (native/kernels/cpu_features.cc),
  # so the binary runs on any x86-64 CPU (no host-specific -march flag).
  "variables": {
    "gnn_version%": "<!(node -p \"require('./package.json').version\")",
    "gnn_sanitize%": "0",
    "gnn_common_cflags": ["-fvisibility=hidden", "-fno-strict-aliasing", "-fPIC", "-Wall", "-Wextra", "-Wno-unused-parameter"],
    "gnn_avx2_flags": ["-mavx2", "-mfma"],
    "gnn_avxvnni_flags": ["-mavx2", "-mfma", "-mavxvnni"],
    "gnn_avx512vnni_flags": ["-mavx512f", "-mavx512bw", "-mavx512dq", "-mavx512vl", "-mavx512vnni", "-mavx2", "-mfma", "-Wno-maybe-uninitialized"],
    "gnn_avx512_flags": ["-mavx512f", "-mavx512bw", "-mavx512dq", "-mavx512vl", "-mavx2", "-mfma", "-Wno-maybe-uninitialized"]
  },
  "target_defaults": {
    "cflags_cc": ["-std=c++17", "<@(gnn_common_cflags)"],
    "cflags_cc!": ["-fno-exceptions", "-std=gnu++1y", "-std=gnu++17"],
    "defines": [
      "NAPI_VERSION=9",
      "NODE_ADDON_API_DISABLE_DEPRECATED",
      "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS",
      "GNN_VERSION=\"<(gnn_version)\""
    ],
    "conditions": [
      ["gnn_sanitize==1", {
        "cflags_cc": ["-fsanitize=address,undefined", "-fno-omit-frame-pointer", "-fno-sanitize-recover=undefined", "-O1", "-g"],
        "ldflags": ["-fsanitize=address,undefined"]
      }]
    ]
  },
  "targets": [
    {
      "target_name": "gnn_kernels_avx2",
      "type": "none",
      "conditions": [
        ["target_arch=='x64'", {
          "type": "static_library",
          "sources": ["native/kernels/spmm_avx2.cc", "native/kernels/baseline_spmm_avx2.cc", "native/kernels/elementwise_avx2.cc", "native/kernels/attention_avx2.cc", "native/kernels/gemm_avx2.cc", "native/kernels/rowops_avx2.cc", "native/kernels/norm_avx2.cc", "native/kernels/gatv2_avx2.cc", "native/kernels/qgemm_avx2.cc", "native/kernels/sparse_linear_avx2.cc", "native/kernels/qspmm_avx2.cc"],
          "cflags_cc": ["<@(gnn_avx2_flags)"],
          "xcode_settings": { "OTHER_CPLUSPLUSFLAGS": ["<@(gnn_avx2_flags)"] }
        }]
      ]
    },
    {
      "target_name": "gnn_kernels_avx512",
      "type": "none",
      "conditions": [
        ["target_arch=='x64'", {
          "type": "static_library",
          "sources": ["native/kernels/spmm_avx512.cc", "native/kernels/baseline_spmm_avx512.cc", "native/kernels/elementwise_avx512.cc", "native/kernels/attention_avx512.cc", "native/kernels/gemm_avx512.cc", "native/kernels/rowops_avx512.cc", "native/kernels/norm_avx512.cc", "native/kernels/gatv2_avx512.cc", "native/kernels/qgemm_avx512.cc", "native/kernels/sparse_linear_avx512.cc", "native/kernels/qspmm_avx512.cc"],
          "cflags_cc": ["<@(gnn_avx512_flags)", "-mprefer-vector-width=512"],
          "xcode_settings": { "OTHER_CPLUSPLUSFLAGS": ["<@(gnn_avx512_flags)", "-mprefer-vector-width=512"] }
        }]
      ]
    },
    {
      "target_name": "gnn_kernels_avxvnni",
      "type": "none",
      "conditions": [
        ["target_arch=='x64'", {
          "type": "static_library",
          "sources": ["native/kernels/qgemm_avxvnni.cc"],
          "cflags_cc": ["<@(gnn_avxvnni_flags)"],
          "xcode_settings": { "OTHER_CPLUSPLUSFLAGS": ["<@(gnn_avxvnni_flags)"] }
        }]
      ]
    },
    {
      "target_name": "gnn_kernels_avx512vnni",
      "type": "none",
      "conditions": [
        ["target_arch=='x64'", {
          "type": "static_library",
          "sources": ["native/kernels/qgemm_avx512vnni.cc"],
          "cflags_cc": ["<@(gnn_avx512vnni_flags)", "-mprefer-vector-width=512"],
          "xcode_settings": { "OTHER_CPLUSPLUSFLAGS": ["<@(gnn_avx512vnni_flags)", "-mprefer-vector-width=512"] }
        }]
      ]
    },
    {
      "target_name": "gnn_kernels",
      "dependencies": [
        "<!(node -p \"require('node-addon-api').targets\"):node_addon_api_except",
        "gnn_kernels_avx2",
        "gnn_kernels_avx512",
        "gnn_kernels_avxvnni",
        "gnn_kernels_avx512vnni"
      ],
      "sources": [
        "native/addon.cc",
        "native/binding/args.cc",
        "native/binding/attention_binding.cc",
        "native/binding/backend_binding.cc",
        "native/binding/elementwise_binding.cc",
        "native/binding/errors.cc",
        "native/binding/graph_binding.cc",
        "native/binding/gatv2_binding.cc",
        "native/binding/linear_binding.cc",
        "native/binding/norm_binding.cc",
        "native/binding/rowops_binding.cc",
        "native/binding/sparse_linear_binding.cc",
        "native/binding/qspmm_binding.cc",
        "native/binding/spmm_binding.cc",
        "native/binding/quant_binding.cc",
        "native/binding/cuda_plan_binding.cc",
        "cuda/launch_plan.cc",
        "native/kernels/attention.cc",
        "native/kernels/attention_scalar.cc",
        "native/kernels/bandwidth.cc",
        "native/kernels/baseline_spmm.cc",
        "native/kernels/cpu_features.cc",
        "native/kernels/elementwise.cc",
        "native/kernels/elementwise_scalar.cc",
        "native/kernels/finite_scan.cc",
        "native/kernels/gemm.cc",
        "native/kernels/gatv2.cc",
        "native/kernels/gatv2_scalar.cc",
        "native/kernels/gemm_scalar.cc",
        "native/kernels/graph_build.cc",
        "native/kernels/graph_transform.cc",
        "native/kernels/norm.cc",
        "native/kernels/norm_scalar.cc",
        "native/kernels/qspmm.cc",
        "native/kernels/qspmm_scalar.cc",
        "native/kernels/row_partition.cc",
        "native/kernels/rowops.cc",
        "native/kernels/rowops_scalar.cc",
        "native/kernels/sparse_linear.cc",
        "native/kernels/sparse_linear_scalar.cc",
        "native/kernels/spmm.cc",
        "native/kernels/spmm_scalar.cc",
        "native/kernels/thread_pool.cc",
        "native/kernels/quantize.cc",
        "native/kernels/qgemm.cc",
        "native/kernels/qgemm_scalar.cc"
      ],
      "defines": [
        "GNN_BUILD_FLAGS=\"node-gyp, C++17, <(target_arch), SIMD kernels: scalar + AVX2/FMA + AVX-512 chosen at run time, sanitize=<(gnn_sanitize)\""
      ],
      "conditions": [
        ["target_arch=='x64'", { "defines": ["GNN_X86_KERNELS=1"] }],
        ["OS=='linux'", { "ldflags": ["-Wl,-z,nodelete", "-pthread"] }],
        ["OS=='mac'", {
          "xcode_settings": {
            "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
            "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
            "GCC_SYMBOLS_PRIVATE_EXTERN": "YES",
            "MACOSX_DEPLOYMENT_TARGET": "11.0"
          }
        }],
        ["OS=='win'", {
          "msvs_settings": { "VCCLCompilerTool": { "AdditionalOptions": ["/std:c++17"], "ExceptionHandling": 1 } }
        }]
      ]
    }
  ]
}
