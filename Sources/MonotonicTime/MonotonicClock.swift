#if canImport(Glibc)
import Glibc
#endif

/// Seconds on CLOCK_MONOTONIC, the clock V4L2 stamps camera buffers with: every capture time, publish time and
/// deadline in occlumesh is read from it, so capture times from cameras and decoders can be compared and
/// subtracted from the publish time.
public enum MonotonicClock {
    /// The current monotonic time in seconds.
    public static func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
    }
}
