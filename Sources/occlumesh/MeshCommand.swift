import ArgumentParser
import FaceModel

/// `occlumesh mesh`: builds a face mesh from a coefficients file and writes it as OBJ and/or PLY (with UVs).
/// Used by users to look at a fit, and by tests.
struct MeshCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mesh",
        abstract: "Build a face mesh from coefficients and write it as OBJ or PLY.",
        discussion: """
            The coefficients file is JSON: "identity" (list, padded with zeros), "expression" (list in model \
            order, or {"jawOpen": 0.6, …}), and optionally "rotation" [x, y, z, w], "translation", "scale", \
            applied with --posed. Units are centimetres.
            """)

    @Option(help: "JSON file of identity and expression coefficients.")
    var coefficients: String

    @Option(help: "Runtime face-model file (made by tools/setup-face-model.sh).")
    var model: String = "models/ict-face-model.ocfm"

    @Option(help: "Write the mesh as Wavefront OBJ to this path.")
    var obj: String?

    @Option(help: "Write the mesh as binary PLY to this path.")
    var ply: String?

    @Option(help: "Mesh part: faceArea (9,409 vertices) or wholeHead (11,248).")
    var variant: MeshVariant = .wholeHead

    @Flag(help: "Apply the pose given in the coefficients file.")
    var posed = false

    func validate() throws {
        if obj == nil, ply == nil { throw ValidationError("give --obj and/or --ply") }
    }

    func run() throws {
        let faceModel = try MorphableModel(path: model)
        let file = try CoefficientsFile(path: coefficients, model: faceModel)
        var mesh = faceModel.makeMesh(variant)
        try faceModel.evaluate(identity: file.identity, expression: file.expression, into: &mesh)
        let transform = posed ? (file.transform ?? .identity) : nil
        if let obj { try MeshExport.writeOBJ(mesh, model: faceModel, transform: transform, to: obj) }
        if let ply { try MeshExport.writePLY(mesh, model: faceModel, transform: transform, to: ply) }
    }
}

extension MeshVariant: ExpressibleByArgument {}
