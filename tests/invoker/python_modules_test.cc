// top_level_modules on hand-made dist-packages directories: what a library-set zygote imports.
#include "invoker/python_modules.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "tests/trace/temp_dir.h"

namespace hearth::invoker {
namespace {

// Writes `name` (a relative path) under `dir`, creating its directories.
void put(const testing::TempDir& dir, const std::string& name) {
  std::filesystem::create_directories((dir.path() / name).parent_path());
  dir.write(name, "");
}

TEST(PythonModules, PackagesModulesAndExtensionsArePublicOnesOnly) {
  testing::TempDir dir;
  put(dir, "numpy/__init__.py");
  put(dir, "PIL/__init__.py");
  put(dir, "six.py");
  put(dir, "_yaml.cpython-311-x86_64-linux-gnu.so");           // private: skipped
  put(dir, "fastjson.cpython-311-x86_64-linux-gnu.so");        // extension module
  put(dir, "numpy-1.24.2.egg-info/PKG-INFO");                 // metadata: skipped
  put(dir, "requests-2.28.1.dist-info/METADATA");             // metadata: skipped
  put(dir, "__pycache__/six.cpython-311.pyc");                // cache: skipped
  put(dir, "notapackage/data.txt");                           // no __init__.py: skipped
  put(dir, "README.txt");                                     // not a module
  put(dir, "bad-name.py");                                    // not an identifier
  EXPECT_EQ(top_level_modules(dir.str()), (std::vector<std::string>{"PIL", "fastjson", "numpy", "six"}));
}

TEST(PythonModules, SymlinksAreNotFollowedAndMissingDirectoriesHaveNone) {
  testing::TempDir dir;
  put(dir, "outside/evil/__init__.py");
  put(dir, "lib/real.py");
  std::filesystem::create_directory_symlink(dir.str() + "/outside/evil", dir.str() + "/lib/evil");
  std::filesystem::create_symlink(dir.str() + "/lib/real.py", dir.str() + "/lib/alias.py");
  EXPECT_EQ(top_level_modules(dir.str() + "/lib"), (std::vector<std::string>{"real"}));
  EXPECT_TRUE(top_level_modules(dir.str() + "/missing").empty());
}

}  // namespace
}  // namespace hearth::invoker
