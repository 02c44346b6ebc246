// The C side of the Python zygote (runtime/python/hearth_zygote.py loads it with ctypes as
// hearth_zygote.so): what a fork of a zygote runs to become an isolated sandbox before any function code
// runs (sandbox.h, enter_forked_sandbox). Built from sandbox/*.cc as a position-independent module.
#include "sandbox/sandbox.h"
#include "sandbox/seccomp_profile.h"

extern "C" {

// Compiles the function profile once in the zygote, so that its forks only load it. 0 or -errno.
int hearth_zygote_prepare(void) { return hearth::sandbox::prepare_seccomp_profile(); }

// In a fork: returns 0 in the sandbox's PID 1 (isolated, nobody, no capabilities, seccomp); the
// supervisor never returns. `warm_up` (may be null) runs in PID 1 once it is isolated, before it reports ready.
int hearth_zygote_enter(int report, void (*warm_up)(void)) { return hearth::sandbox::enter_forked_sandbox(report, warm_up); }
}
