import ArgumentParser

/// Stand-in executable for `occlumesh model …` until the lead registers `ModelCommand` in the
/// real `occlumesh` executable: `inference-tool model run|bench …` behaves identically.
@main
struct InferenceTool: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "inference-tool", subcommands: [ModelCommand.self])
}
