import CV4L2
import Foundation
import TestSupport
import Testing
@testable import VideoIngest

@Suite("V4L2CameraSource against a simulated V4L2 device")
struct V4L2CameraSourceTests {
    /// A webcam as they usually are: YUYV reaches 30 fps only at small sizes, MJPEG everywhere.
    static let webcamModes = [
        SimulatedCamera.Mode(fourcc: occlumesh_pix_fmt_yuyv, sizes: [(64, 48, [30]), (640, 480, [30, 15]), (1280, 720, [10])]),
        SimulatedCamera.Mode(fourcc: occlumesh_pix_fmt_mjpeg, sizes: [(640, 480, [30]), (1280, 720, [30, 15])]),
    ]

    /// A YUYV picture whose bytes depend on the frame index and position.
    static func yuyvPattern(_ index: Int, _ fourcc: UInt32, _ width: Int, _ height: Int) -> [UInt8] {
        (0..<(width * height * 2)).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ index &* 31 &+ ($0 / (width * 2)) &* 3) }
    }

    @Test("negotiation prefers the requested size at the requested rate, raw before MJPEG")
    func negotiation() {
        let modes = [
            CameraMode(pixelFormat: occlumesh_pix_fmt_yuyv, width: 640, height: 480, framesPerSecond: 30),
            CameraMode(pixelFormat: occlumesh_pix_fmt_yuyv, width: 1280, height: 720, framesPerSecond: 10),
            CameraMode(pixelFormat: occlumesh_pix_fmt_mjpeg, width: 640, height: 480, framesPerSecond: 30),
            CameraMode(pixelFormat: occlumesh_pix_fmt_mjpeg, width: 1280, height: 720, framesPerSecond: 30),
            CameraMode(pixelFormat: 0x5945_5247 /* GREY */, width: 1280, height: 720, framesPerSecond: 60),
        ]
        #expect(CameraFormatNegotiation.choose(from: modes, width: 1280, height: 720, framesPerSecond: 30) == modes[3])
        #expect(CameraFormatNegotiation.choose(from: modes, width: 640, height: 480, framesPerSecond: 30) == modes[0])
        #expect(CameraFormatNegotiation.choose(from: modes, width: 1280, height: 720, framesPerSecond: 5) == modes[1])
        #expect(CameraFormatNegotiation.choose(from: modes, width: 800, height: 600, framesPerSecond: 30) == modes[0])
        #expect(CameraFormatNegotiation.choose(from: [modes[4]], width: 1280, height: 720, framesPerSecond: 30) == nil)
    }

    @Test("opening negotiates MJPEG for 720p30 and YUYV for 480p30 with the device")
    func negotiatesWithDevice() throws {
        let camera = SimulatedCamera(modes: Self.webcamModes, frameBytes: Self.yuyvPattern)
        let source = try V4L2CameraSource(deviceName: "sim", interface: camera,
                                          options: .init(width: 1280, height: 720, framesPerSecond: 30))
        #expect(source.mode.pixelFormat == occlumesh_pix_fmt_mjpeg && source.mode.width == 1280)
        #expect(source.format.codecName == "mjpeg" && source.isLive)
        let second = SimulatedCamera(modes: Self.webcamModes, frameBytes: Self.yuyvPattern)
        let yuyv = try V4L2CameraSource(deviceName: "sim", interface: second, options: .init(width: 640, height: 480))
        #expect(yuyv.format == VideoFormat(width: 640, height: 480, framesPerSecond: 30, codecName: "yuyv422"))
    }

    @Test("buffers cycle through queue and dequeue, one held at a time, and are released at the end")
    func bufferCycling() throws {
        let camera = SimulatedCamera(modes: Self.webcamModes, frameBytes: Self.yuyvPattern)
        do {
            let source = try V4L2CameraSource(deviceName: "sim", interface: camera,
                                              options: .init(width: 64, height: 48, bufferCount: 4))
            var lastCapture = -Double.infinity
            for expected in 0..<20 {
                let frame = try #require(try source.nextFrame())
                #expect(frame.index == expected)
                #expect(frame.captureTime >= lastCapture)
                lastCapture = frame.captureTime
            }
            #expect(camera.buffers.count == 4)
            #expect(camera.mostBuffersHeldByApplication == 1)
            #expect(camera.queued.count == 4, "every buffer is back with the driver between frames")
        }
        #expect(camera.streamOffCalled && camera.unmappedCount == 4 && camera.closed)
    }

    @Test("a YUYV frame converts exactly as ffmpeg converts the same bytes")
    func yuyvMatchesFFmpeg() throws {
        let camera = SimulatedCamera(modes: Self.webcamModes, frameBytes: Self.yuyvPattern)
        let source = try V4L2CameraSource(deviceName: "sim", interface: camera, options: .init(width: 64, height: 48))
        let frame = try #require(try source.nextFrame())
        let raw = TestClips.directory.appendingPathComponent("camera-frame.yuyv")
        try Data(Self.yuyvPattern(0, occlumesh_pix_fmt_yuyv, 64, 48)).write(to: raw)
        let reference = try Subprocess.check("ffmpeg", ["-v", "error", "-f", "rawvideo", "-pix_fmt", "yuyv422", "-s", "64x48",
                                                     "-i", raw.path, "-pix_fmt", "rgb24", "-f", "rawvideo", "-"])
        #expect(Data(frame.packedPixels) == reference)
    }

    @Test("MJPEG buffers are decoded with libavcodec")
    func mjpegMatchesFFmpeg() throws {
        let jpegPath = TestClips.directory.appendingPathComponent("camera-frame.jpg").path
        try Subprocess.check("ffmpeg", ["-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=640x480", "-frames:v", "1", jpegPath])
        let jpeg = [UInt8](try Data(contentsOf: URL(fileURLWithPath: jpegPath)))
        let camera = SimulatedCamera(modes: Self.webcamModes) { _, _, _, _ in jpeg }
        let source = try V4L2CameraSource(deviceName: "sim", interface: camera,
                                          options: .init(width: 1280, height: 720, framesPerSecond: 30))
        // The simulated camera announced 1280x720 but sends a 640x480 JPEG: the picture's own size wins.
        let frame = try #require(try source.nextFrame())
        let reference = try Subprocess.check("ffmpeg", ["-v", "error", "-i", jpegPath, "-pix_fmt", "rgb24", "-f", "rawvideo", "-"])
        #expect(frame.width == 640 && frame.height == 480)
        #expect(Data(frame.packedPixels) == reference)
    }

    @Test("NV12 cameras are converted too")
    func nv12() throws {
        let camera = SimulatedCamera(modes: [.init(fourcc: occlumesh_pix_fmt_nv12, sizes: [(64, 48, [30])])]) { index, _, width, height in
            [UInt8](repeating: UInt8(16 + index), count: width * height) + [UInt8](repeating: 128, count: width * height / 2)
        }
        let source = try V4L2CameraSource(deviceName: "sim", interface: camera, options: .init(width: 64, height: 48))
        let frame = try #require(try source.nextFrame())
        #expect(source.format.codecName == "nv12" && frame.width == 64)
        #expect(frame.pixels[0] == 0 && frame.pixels[1] == 0 && frame.pixels[2] == 0, "Y=16 with neutral chroma is black")
    }

    @Test("a camera that vanishes mid-stream ends in deviceVanished")
    func vanishingCamera() throws {
        let camera = SimulatedCamera(modes: Self.webcamModes, frameBytes: Self.yuyvPattern)
        camera.vanishAfterFrames = 3
        let source = try V4L2CameraSource(deviceName: "/dev/video9", interface: camera, options: .init(width: 64, height: 48))
        for _ in 0..<3 { _ = try source.nextFrame() }
        #expect(throws: VideoIngestError.deviceVanished(device: "/dev/video9")) { try source.nextFrame() }
        #expect(throws: VideoIngestError.deviceVanished(device: "/dev/video9")) { try source.nextFrame() }
    }

    @Test("EAGAIN after a wakeup is retried, not reported")
    func spuriousWakeups() throws {
        let camera = SimulatedCamera(modes: Self.webcamModes, frameBytes: Self.yuyvPattern)
        camera.spuriousWakeupEvery = 2
        let source = try V4L2CameraSource(deviceName: "sim", interface: camera, options: .init(width: 64, height: 48))
        for expected in 0..<10 { #expect(try source.nextFrame()?.index == expected) }
    }

    @Test("a camera that stops delivering times out")
    func stalledCamera() throws {
        let camera = SimulatedCamera(modes: Self.webcamModes, frameBytes: Self.yuyvPattern)
        camera.stallAfterFrames = 2
        let source = try V4L2CameraSource(deviceName: "sim", interface: camera,
                                          options: .init(width: 64, height: 48, frameTimeoutSeconds: 0.05))
        _ = try source.nextFrame()
        _ = try source.nextFrame()
        #expect(throws: VideoIngestError.cameraTimedOut(device: "sim", seconds: 0.05)) { try source.nextFrame() }
    }

    @Test("a camera waiting for a frame returns nil once interrupted, long before its timeout")
    func interruptedWhileWaiting() throws {
        let camera = SimulatedCamera(modes: Self.webcamModes, frameBytes: Self.yuyvPattern)
        camera.stallAfterFrames = 1
        let source = try V4L2CameraSource(deviceName: "sim", interface: camera,
                                          options: .init(width: 64, height: 48, frameTimeoutSeconds: 600))
        _ = try source.nextFrame()
        let interruption = source.interruption
        Thread { usleep(100_000); interruption.interrupt() }.start()
        #expect(try source.nextFrame() == nil)
    }

    @Test("a device that is not a camera is refused and closed")
    func notACamera() throws {
        let camera = SimulatedCamera(modes: Self.webcamModes, frameBytes: Self.yuyvPattern)
        camera.isVideoDevice = false
        #expect(throws: VideoIngestError.notACamera(device: "sim", reason: "VIDIOC_QUERYCAP is not supported")) {
            _ = try V4L2CameraSource(deviceName: "sim", interface: camera)
        }
        #expect(camera.closed)
    }

    @Test("a camera with only unusable formats is refused by name")
    func noUsableFormat() throws {
        let camera = SimulatedCamera(modes: [.init(fourcc: 0x5945_5247, sizes: [(640, 480, [30])])], frameBytes: Self.yuyvPattern)
        #expect(throws: VideoIngestError.noUsableCameraFormat(device: "sim", offered: ["GREY"])) {
            _ = try V4L2CameraSource(deviceName: "sim", interface: camera)
        }
    }

    @Test("a real character device that is not a camera, through libv4l2")
    func realNonCameraDevice() throws {
        #expect(throws: VideoIngestError.notACamera(device: "/dev/null", reason: "VIDIOC_QUERYCAP is not supported")) {
            _ = try V4L2CameraSource(device: "/dev/null")
        }
    }
}
