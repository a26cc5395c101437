import Foundation
import Testing
@testable import VideoIngest

@Suite("FFmpegSource decodes real clips")
struct FFmpegSourceTests {
    @Test("frame count, increasing timestamps and a byte-exact frame",
          arguments: [TestClips.Generated.h264, .mjpegOddSize, .vp9OddSize, .mpeg4])
    func decodesGeneratedClip(clip: TestClips.Generated) throws {
        let name = clip.rawValue
        let path = try clip.path()
        let source = try FFmpegSource(input: path)
        #expect(!source.isLive)
        var frames: [VideoFrame] = []
        let checkedIndex = 5
        var checked: VideoFrame?
        var count = 0
        var lastTime = -Double.infinity
        while let frame = try source.nextFrame() {
            #expect(frame.index == count, "\(name)")
            #expect(frame.presentationTime > lastTime, "\(name): timestamps must increase")
            lastTime = frame.presentationTime
            if frame.index == checkedIndex { checked = frame }
            count += 1
            if frames.count < 1 { frames.append(frame) }
        }
        #expect(count == (try TestClips.referenceFrameCount(path)), "\(name)")
        let reference = try TestClips.referenceRGB(path, frame: checkedIndex)
        let frame = try #require(checked)
        #expect(frame.width == source.format.width && frame.height == source.format.height)
        #expect(Data(frame.packedPixels) == reference, "\(name): frame \(checkedIndex) differs from ffmpeg -pix_fmt rgb24")
    }

    @Test("the shared talking-face clips decode to ffprobe's frame count",
          .enabled(if: !TestClips.sharedVideos.isEmpty, "../shared/data/videos is not beside the repository"))
    func decodesSharedClips() throws {
        for path in TestClips.sharedVideos {
            let source = try FFmpegSource(input: path, options: .init(outputSize: OutputSize(width: 160, height: 120)))
            var count = 0
            var lastTime = -Double.infinity
            while let frame = try source.nextFrame() {
                #expect(frame.width == 160 && frame.height == 120)
                #expect(frame.presentationTime > lastTime)
                lastTime = frame.presentationTime
                count += 1
            }
            #expect(count == (try TestClips.referenceFrameCount(path)), "\(path)")
            #expect(source.format.codecName == "h264")
        }
    }

    @Test("scaling on conversion gives the requested size")
    func scalesOnConversion() throws {
        let source = try FFmpegSource(input: try TestClips.h264(), options: .init(outputSize: OutputSize(width: 128, height: 128)))
        let frame = try #require(try source.nextFrame())
        #expect(frame.width == 128 && frame.height == 128)
        #expect(frame.bytesPerRow >= 128 * 3 && frame.pixels.count >= frame.bytesPerRow * 128)
        #expect(source.format == VideoFormat(width: 128, height: 128, framesPerSecond: 25, codecName: "h264"))
    }

    @Test("fit-inside scales a larger stream down with its aspect kept, and leaves a smaller one alone")
    func fitsInside() throws {
        let clip = try TestClips.h264()
        let native = try FFmpegSource(input: clip).format
        let limit = OutputSize(width: native.width / 2, height: native.height)
        let fitted = try FFmpegSource(input: clip, options: .init(fitInside: limit))
        let expected = try #require(OutputSize.fitting(sourceWidth: native.width, sourceHeight: native.height, inside: limit))
        #expect(expected.width <= limit.width && expected.height < native.height)
        #expect(fitted.format.width == expected.width && fitted.format.height == expected.height)
        let frame = try #require(try fitted.nextFrame())
        #expect(frame.width == expected.width && frame.height == expected.height)
        let roomy = try FFmpegSource(input: clip, options: .init(fitInside: OutputSize(width: native.width * 2, height: native.height * 2)))
        #expect(roomy.format == native)
    }
}
