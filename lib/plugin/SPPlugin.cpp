// SPPlugin.cpp - sp's passes and the nn dialect as a plugin of upstream mlir-opt:
//
//   mlir-opt-19 --load-dialect-plugin=libSPPlugin.so --load-pass-plugin=libSPPlugin.so
//     --pass-pipeline='builtin.module(sp-dependency-groups,sp-importance,sp-prune{ratio=0.5})'
//
// A thin C++ shim over sp's C passes (passes/registry.c): each registry row
// becomes a registered pass whose options are MLIR pass options (so mlir-opt
// parses, prints and lists them) and whose run calls the row's C function.
// The plugin carries no MLIR of its own: the MLIR C++ symbols it uses are
// resolved against the mlir-opt that loads it (docs/plugin.md says why).
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/IRDL/IRDLLoading.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Tools/Plugins/DialectPlugin.h"
#include "mlir/Tools/Plugins/PassPlugin.h"
#include "llvm/Support/raw_ostream.h"

#include <memory>
#include <string>
#include <vector>

extern "C" {
#include "sp/dialect.h"
#include "sp/passes.h"
#include "sp/pipeline.h"
}

using namespace mlir;

namespace {

// One sp pass; options are strings here and typed/checked by sp's registry.
class SpPass : public Pass {
public:
  explicit SpPass(const sp_pass_info *info)
      : Pass(TypeID::getFromOpaquePointer(info), StringRef("builtin.module")), info(info) {
    // Defaults from the registry, so --dump-pass-pipeline prints a pipeline
    // that parses back; an empty value means unset (no default).
    for (size_t i = 0; i < info->num_options; ++i) {
      const sp_pass_option &o = info->options[i];
      options.push_back(std::make_unique<Option<std::string>>(
          *this, o.name, llvm::cl::desc(o.help),
          llvm::cl::init(std::string(o.default_value ? o.default_value : ""))));
    }
  }

  StringRef getName() const override { return info->argument; }
  StringRef getArgument() const override { return info->argument; }
  StringRef getDescription() const override { return info->summary; }

  // mlir-opt parses "k=v" into the string options; sp's registry then checks
  // names' values (ranges, enums), so a bad value fails the pipeline parse.
  LogicalResult initializeOptions(StringRef text,
                                  function_ref<LogicalResult(const Twine &)> errorHandler) override {
    if (failed(Pass::initializeOptions(text, errorHandler)))
      return failure();
    sp_pass_args args;
    sp_error err;
    if (sp_pass_args_parse(info, optionText().c_str(), &args, &err))
      return errorHandler(err.message);
    sp_pass_args_free(&args);
    return success();
  }

protected:
  bool canScheduleOn(RegisteredOperationName opName) const override {
    return opName.getStringRef() == "builtin.module";
  }

  std::unique_ptr<Pass> clonePass() const override {
    auto copy = std::make_unique<SpPass>(info);
    copy->copyOptionValuesFrom(this);
    return copy;
  }

  void runOnOperation() override {
    sp_pass_args args;
    sp_error err;
    if (sp_pass_args_parse(info, optionText().c_str(), &args, &err)) {
      getOperation()->emitError(err.message);
      return signalPassFailure();
    }
    int rc = info->run(MlirOperation{getOperation()}, &args);
    sp_pass_args_free(&args);
    if (rc)
      signalPassFailure();
  }

private:
  // The options with a value as sp's registry reads them: "k=v k2=v2".
  std::string optionText() const {
    std::string text;
    for (size_t i = 0; i < options.size(); ++i)
      if (!options[i]->getValue().empty())
        text += std::string(text.empty() ? "" : " ") + info->options[i].name + "=" +
                options[i]->getValue();
    return text;
  }

  const sp_pass_info *info;
  std::vector<std::unique_ptr<Option<std::string>>> options;
};

// nn is defined in IRDL, which needs a context: it is loaded into each
// context when func is (nn IR lives in func.func, so func loads first).
void loadNNDialect(MLIRContext *ctx, func::FuncDialect *) {
  if (ctx->getLoadedDialect("nn"))
    return;
  if (!ctx->getOrLoadDialect("irdl")) {
    emitError(UnknownLoc::get(ctx), "sp plugin: mlir-opt has no irdl dialect to load nn with");
    return;
  }
  OwningOpRef<ModuleOp> irdl =
      parseSourceString<ModuleOp>(sp_dialect_irdl_source(), ParserConfig(ctx), "nn.irdl.mlir");
  if (!irdl || failed(irdl::loadDialects(*irdl)))
    emitError(UnknownLoc::get(ctx), "sp plugin: cannot load the nn dialect from its IRDL");
}

void registerSpPasses() {
  for (const sp_pass_info *info = sp_pass_registry(); info->argument; ++info)
    registerPass([info]() -> std::unique_ptr<Pass> { return std::make_unique<SpPass>(info); });
  // Named pipelines too: builtin.module(sp-prune-cnn).
  for (const sp_named_pipeline *named = sp_named_pipelines; named->name; ++named) {
    StringRef body(named->expansion);
    body.consume_front("builtin.module(");
    body.consume_back(")");
    std::string stages = body.str();
    PassPipelineRegistration<>(named->name, named->summary,
                               [stages](OpPassManager &pm) {
                                 if (failed(parsePassPipeline(stages, pm, llvm::errs())))
                                   llvm::errs() << "sp plugin: bad pipeline " << stages << "\n";
                               });
  }
}

} // namespace

extern "C" LLVM_ATTRIBUTE_WEAK DialectPluginLibraryInfo mlirGetDialectPluginInfo() {
  return {MLIR_PLUGIN_API_VERSION, "SPPlugin", SP_VERSION, [](DialectRegistry *registry) {
            registry->addExtension(+loadNNDialect);
          }};
}

extern "C" LLVM_ATTRIBUTE_WEAK PassPluginLibraryInfo mlirGetPassPluginInfo() {
  return {MLIR_PLUGIN_API_VERSION, "SPPlugin", SP_VERSION, registerSpPasses};
}
