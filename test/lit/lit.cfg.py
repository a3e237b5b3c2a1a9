# lit configuration for sp: FileCheck tests of the dialect, translation and passes.
import os
import lit.formats

config.name = "sp"
config.test_format = lit.formats.ShTest(execute_external=False)
config.suffixes = [".mlir", ".test"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.sp_obj_root, "test", "lit")
config.excludes = ["lit.cfg.py", "lit.site.cfg.py", "Inputs"]

config.environment["PATH"] = os.pathsep.join(
    [config.sp_tools_dir, os.path.dirname(config.filecheck), config.environment.get("PATH", "")])
config.substitutions.append(("%python", config.python_executable))
config.substitutions.append(("%sp_src", config.sp_src_root))
# Upstream mlir-opt with sp loaded as a plugin (lib/plugin, docs/plugin.md).
config.substitutions.append(("%sp_plugin", config.sp_plugin))
config.substitutions.append(("%mlir_opt", config.mlir_opt))
if config.sp_sanitize.upper() not in ("ON", "TRUE", "1", "YES"):
    config.available_features.add("sp-plugin")  # not built with sanitizers
config.substitutions.append(("%inputs", os.path.join(config.test_source_root, "Inputs")))
# Debian's python3 with onnx/numpy for fixtures; the PATH python3 may lack them.
config.environment["PYTHONDONTWRITEBYTECODE"] = "1"
# A CPU that runs the AVX-512 kernel set (--emit-c's algorithm choice depends on it).
try:
    with open("/proc/cpuinfo") as cpuinfo:
        if " avx512f" in cpuinfo.read():
            config.available_features.add("avx512")
except OSError:
    pass
