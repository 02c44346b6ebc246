// The CRL plugin (crl/crl_plugin_api.h), loaded on first use: `hearth` links no libtorch; the first
// `crl:` scheduler spec or `hearth incendio train` dlopens hearth_crl.so (the build's own, or the file
// $HEARTH_CRL_PLUGIN names) and every later use shares it. register_crl_scheduler() adds `crl:model=DIR`
// to the policy registry (policy/registry.h) without loading anything.
#pragma once

#include "crl/crl_plugin_api.h"

namespace hearth::cli {

// Throws std::runtime_error naming the plugin file and the loader's reason (missing file, missing
// symbol, ABI mismatch).
const crl::CrlPluginApi& crl_plugin();
void register_crl_scheduler();

}  // namespace hearth::cli
