// top_level_modules: the modules a Python library directory (a package's usr/lib/python3/dist-packages)
// offers to `import`: its packages (directories holding __init__.py) and its modules (NAME.py, and
// extension modules NAME.cpython-*.so / NAME.abi3.so / NAME.so), sorted, without private names (a leading
// underscore), metadata (*.dist-info, *.egg-info), bytecode caches and anything that is not a valid
// Python identifier. A library-set zygote imports these for the libraries an action declares
// (invoker/zygote_pool.h), so the names come from the package's files, not from a list kept by hand.
// A missing or unreadable directory has none. Symlinks are not followed out of the directory.
#pragma once

#include <string>
#include <vector>

namespace hearth::invoker {

std::vector<std::string> top_level_modules(const std::string& dist_packages);

}  // namespace hearth::invoker
