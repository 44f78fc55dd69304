/**
 * Which native backend is running and the process-wide settings of the CPU kernels.
 */
import { invalidArgType, invalidArgValue, outOfRange } from './errors';
import { loadNative, native } from './native';
import { checkOptions } from './validate';

export type SimdLevel = 'scalar' | 'avx2' | 'avx512';

/** A CUDA device as the runtime describes it. */
export interface CudaDevice {
  index: number;
  name: string;
  /** Bytes of device memory. */
  totalMemory: number;
  /** e.g. '9.0'. */
  computeCapability: string;
  multiprocessors: number;
  /** Whether the loaded build has code for this device's architecture (CUDAARCHS). */
  supported: boolean;
}

/** The CUDA side of {@link BackendInfo}. */
export interface CudaBackendInfo {
  /** The CUDA build is loaded and at least one device it can run on answered. */
  available: boolean;
  /** Why not, in words (the CUDA runtime's error name and text included); '' when available. */
  reason: string;
  /** Which addon was loaded: the CUDA build (build-cuda/) or the CPU build (build/). */
  build: 'cuda' | 'cpu';
  /** Devices the CUDA runtime lists (empty in the CPU build or without a driver). */
  devices: CudaDevice[];
  /** CUDA runtime and driver versions as the runtime reports them (13000 = 13.0); 0 when absent. */
  runtimeVersion: number;
  driverVersion: number;
  /** Compute capabilities the build has code for, e.g. '75;80;90' ('' in the CPU build). */
  architectures: string;
  /** Whether the build linked cuBLAS / cuSPARSE. */
  cublas: boolean;
  cusparse: boolean;
}

export interface BackendInfo {
  /** 'cuda' when the CUDA build is loaded and a usable device answered, else 'cpu'. */
  backend: 'cpu' | 'cuda';
  /** Path of the loaded `.node` file. */
  binaryPath: string;
  /** Package version compiled into the addon. */
  version: string;
  /** Node-API version the addon targets. */
  napiVersion: number;
  /** SIMD level the kernels use now. */
  simd: SimdLevel;
  /** Widest SIMD level this CPU supports. */
  simdDetected: SimdLevel;
  /** AVX-512 VNNI present (used by int8 kernels). */
  vnni: boolean;
  /** Threads the kernels use. */
  threads: number;
  /** Physical cores available to this process. */
  physicalCores: number;
  /** How the addon was built. */
  buildFlags: string;
  compiler: string;
  /** CUDA devices, or why there are none. */
  cuda: CudaBackendInfo;
}

let envApplied = false;

/** Applies GNN_KERNELS_NUM_THREADS / GNN_KERNELS_SIMD once, warning about values it cannot use. */
function applyEnvironment(): void {
  if (envApplied) return;
  envApplied = true;
  const threads = process.env.GNN_KERNELS_NUM_THREADS;
  if (threads !== undefined && threads !== '') {
    const n = Number(threads);
    if (!Number.isInteger(n) || n < 1 || n > 4096) {
      process.emitWarning(`GNN_KERNELS_NUM_THREADS=${threads} is not an integer in [1, 4096]; ignored`, {
        code: 'GNN_KERNELS_INVALID_ENV',
      });
    } else {
      native().setNumThreads(n);
    }
  }
  const simd = process.env.GNN_KERNELS_SIMD;
  if (simd !== undefined && simd !== '') {
    if (simd !== 'scalar' && simd !== 'avx2' && simd !== 'avx512') {
      process.emitWarning(`GNN_KERNELS_SIMD=${simd} is not one of scalar, avx2, avx512; ignored`, {
        code: 'GNN_KERNELS_INVALID_ENV',
      });
    } else {
      native().setSimdLevel(simd);
    }
  }
}

/** The addon with the environment applied; every op goes through this. @internal */
export function addon(): ReturnType<typeof native> {
  if (!envApplied) applyEnvironment();
  return native();
}

function cudaInfo(): CudaBackendInfo {
  const loaded = loadNative();
  const cuda = loaded.addon.cuda;
  if (loaded.build !== 'cuda' || cuda === undefined) {
    return {
      available: false,
      reason: loaded.cudaNote,
      build: 'cpu',
      devices: [],
      runtimeVersion: 0,
      driverVersion: 0,
      architectures: '',
      cublas: false,
      cusparse: false,
    };
  }
  // Probes once per process (the first call starts the CUDA runtime), then answers from its cache.
  const p = cuda.probe();
  return {
    available: p.available,
    reason: p.reason,
    build: 'cuda',
    devices: p.devices.map((d) => ({ ...d })),
    runtimeVersion: p.runtimeVersion,
    driverVersion: p.driverVersion,
    architectures: p.architectures,
    cublas: p.cublas,
    cusparse: p.cusparse,
  };
}

/**
 * Reports the loaded backend: binary, SIMD level, threads, build flags, and the CUDA devices (or
 * why there are none). With the CUDA build the first call starts the CUDA runtime to list devices.
 */
export function backendInfo(): BackendInfo {
  const a = addon();
  const info = a.backendInfo();
  const cuda = cudaInfo();
  return {
    backend: cuda.available ? 'cuda' : 'cpu',
    binaryPath: loadNative().path,
    version: info.version,
    napiVersion: 9,
    simd: info.simd,
    simdDetected: info.simdDetected,
    vnni: info.vnni,
    threads: info.threads,
    physicalCores: info.physicalCores,
    buildFlags: info.buildFlags,
    compiler: info.compiler,
    cuda,
  };
}

/**
 * Sets the number of threads the CPU kernels use, for the whole process (all worker_threads
 * share one pool). Defaults to the physical cores, or GNN_KERNELS_NUM_THREADS. Results do not
 * depend on it. Returns the value now in effect.
 */
export function setNumThreads(n: number): number {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 4096) {
    throw outOfRange('n', 'an integer in [1, 4096]', n);
  }
  return addon().setNumThreads(n);
}

/** The number of threads the CPU kernels use. */
export function getNumThreads(): number {
  return addon().getNumThreads();
}

/**
 * Lowers (or restores) the SIMD level the kernels use, process-wide; clamped to what the CPU
 * supports. Meant for tests and benchmarks of each code path. Returns the level now in effect.
 */
export function setSimdLevel(level: SimdLevel): SimdLevel {
  if (level !== 'scalar' && level !== 'avx2' && level !== 'avx512') {
    throw invalidArgValue('level', "'scalar', 'avx2' or 'avx512'", level);
  }
  return addon().setSimdLevel(level);
}

export interface BandwidthOptions {
  /** Bytes per array (three arrays are used); default 256 MiB. */
  bytes?: number;
  /** Threads; default getNumThreads(). */
  threads?: number;
  /** Timed repeats (best is reported); default 5. */
  repeats?: number;
}

export interface Bandwidth {
  /** STREAM copy, GB/s (8 bytes counted per element). */
  copy: number;
  /** STREAM triad, GB/s (12 bytes counted per element). */
  triad: number;
  threads: number;
  bytesPerArray: number;
}

/** Measures this machine's memory bandwidth (STREAM copy and triad) in the addon. Blocks for ~1 s. */
export function measureMemoryBandwidth(options: BandwidthOptions = {}): Bandwidth {
  const bytes = options.bytes ?? 256 * 1024 * 1024;
  const threads = options.threads ?? getNumThreads();
  const repeats = options.repeats ?? 5;
  return addon().measureBandwidth(bytes, threads, repeats);
}

export interface PeakFlopsOptions {
  /** Threads running the probe at once; default getNumThreads(). */
  threads?: number;
  /** Milliseconds each thread runs per round (three rounds, the best kept); default 200. */
  ms?: number;
}

/**
 * Measures this machine's fp32 FMA peak in GFLOP/s at the widest SIMD width of the active level:
 * `threads` threads run independent FMA chains (enough to fill every FMA pipe), timed over the
 * wall time of the whole run. Benchmarks report GEMM speed as a fraction of it. Blocks for about
 * 4 x `ms` milliseconds.
 */
export function measurePeakFlops(options: PeakFlopsOptions = {}): number {
  const opts = checkOptions(options, 'measurePeakFlops', ['threads', 'ms']);
  const threads = opts.threads ?? getNumThreads();
  if (typeof threads !== 'number') throw invalidArgType('threads', 'a number', threads);
  if (!Number.isInteger(threads) || threads < 1 || threads > 4096) throw outOfRange('threads', 'an integer in [1, 4096]', threads);
  const ms = opts.ms ?? 200;
  if (typeof ms !== 'number') throw invalidArgType('ms', 'a number', ms);
  if (!(ms >= 1 && ms <= 10000)) throw outOfRange('ms', 'a number in [1, 10000]', ms);
  return addon().measurePeakFlops(threads, ms);
}
