import ArgumentParser

/// The `occlumesh` command line: tools around the daemon's pipeline for users and for checks.
@main
struct Occlumesh: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "occlumesh",
        abstract: "Occlusion-robust 3D face meshes from video.",
        subcommands: [
            ProbeCommand.self, DetectCommand.self, MeshCommand.self, ModelCommand.self, RunCommand.self,
            LandmarksCommand.self, SubscribeCommand.self, BridgeCommand.self, ViewCommand.self,
        ]
    )
}
