// The DotStuffer's block-scan kernels (scalar, SWAR, AVX2, AVX-512) and the
// run-time choice among them. The kernels themselves are in
// dot_stuffer_kernels.cc, instantiated for every emitter of
// core/internal/dot_stuffer_emitters.h; the logic they share is in
// core/internal/dot_stuffer_scan.h.
//
// The choice: the widest kernel the CPU supports (AVX-512BW, AVX2, else
// SWAR), made on first use; tests, fuzzers and benchmarks may force one with
// `SetDotStufferKernelForTesting`. All kernels give byte-identical results
// (core/dot_stuffer_test.cc runs each one the machine supports).

#ifndef SMTP_CORE_INTERNAL_DOT_STUFFER_KERNELS_H_
#define SMTP_CORE_INTERNAL_DOT_STUFFER_KERNELS_H_

#include <cstdint>

#include "core/internal/dot_stuffer_emitters.h"
#include "core/internal/dot_stuffer_scan.h"

namespace smtpcore {
namespace internal {

// DotStufferKernel names one implementation of the 64-byte block scan behind
// every DotStuffer.
enum class DotStufferKernel : uint8_t {
  kScalar,  // byte at a time, the reference
  kSwar,    // 8 bytes per uint64_t, portable
  kAvx2,    // x86-64 with AVX2
  kAvx512,  // x86-64 with AVX-512F and AVX-512BW
};

// DotStufferKernelSupported returns true if `kernel` was compiled in and can
// run on this CPU. kScalar and kSwar are always supported.
bool DotStufferKernelSupported(DotStufferKernel kernel);

// BestDotStufferKernel returns the kernel chosen by default: the widest
// supported one.
DotStufferKernel BestDotStufferKernel();

// SetDotStufferKernelForTesting makes every DotStuffer in the process use
// `kernel` from the next `Encode`/`EncodeCopy`/`Measure` call on. Returns
// false, and changes nothing, if the kernel is not supported. For tests,
// fuzzers and benchmarks; must not race with encoding on other threads.
bool SetDotStufferKernelForTesting(DotStufferKernel kernel);

// ActiveDotStufferKernel returns the kernel in use.
DotStufferKernel ActiveDotStufferKernel();

// DotStufferKernelName returns "scalar", "swar", "avx2" or "avx512" (static
// storage).
const char* DotStufferKernelName(DotStufferKernel kernel);

}  // namespace internal

namespace dot_stuffer_internal {

// ScanFor returns `kernel`'s scan for a run-based emitter (SliceEmitter,
// RunCopyEmitter or CountEmitter; others are not instantiated). An
// unsupported kernel gives the SWAR scan.
template <typename Emitter>
ScanFn<Emitter> ScanFor(internal::DotStufferKernel kernel);

#if SMTP_DOT_STUFFER_X86
// Avx512BlockCopyScan returns the AVX-512 scan with the block-copy emitter;
// call it only when the AVX-512 kernel is supported.
ScanFn<BlockCopyEmitter512> Avx512BlockCopyScan();
#endif

}  // namespace dot_stuffer_internal
}  // namespace smtpcore

#endif  // SMTP_CORE_INTERNAL_DOT_STUFFER_KERNELS_H_
