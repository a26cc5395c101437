import MeshProtocol

/// One client's bounded queue of encoded messages.
///
/// Frame and status messages are droppable: when `capacity` of them are queued, the oldest one not yet
/// partly sent is dropped. Welcome, topology and goodbye messages are never dropped. Each frame remembers
/// how many frames were dropped right before it, and that count is written into its `dropped_before`
/// field just before it goes out.
struct OutboundQueue {
    private struct Entry {
        var bytes: [UInt8]
        var droppable: Bool
        var isFrame: Bool { bytes[4] == MessageType.frame.rawValue }
        var framesDroppedBefore: UInt32 = 0
    }

    private var entries: [Entry] = []
    /// Bytes of the first message already written to the socket.
    private var headOffset = 0
    /// Frames dropped after the last queued frame, to be charged to the next frame pushed.
    private var pendingFrameDrops: UInt32 = 0
    /// Most droppable messages kept.
    let capacity: Int

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    /// Whether nothing is waiting to be written.
    var isEmpty: Bool { entries.isEmpty }

    private var droppableCount: Int { entries.reduce(0) { $0 + ($1.droppable ? 1 : 0) } }

    /// Messages queued that are never dropped (welcome, topology, goodbye).
    var undroppableCount: Int { entries.count - droppableCount }

    /// Appends a message; returns how many older messages were dropped to make room.
    mutating func push(_ bytes: [UInt8], droppable: Bool) -> Int {
        var dropped = 0
        if droppable {
            while droppableCount >= capacity {
                let firstCandidate = headOffset > 0 ? 1 : 0
                guard let index = entries.indices.dropFirst(firstCandidate).first(where: { entries[$0].droppable }) else { break }
                let victim = entries.remove(at: index)
                dropped += 1
                if victim.isFrame {
                    let charge = victim.framesDroppedBefore &+ 1
                    if let next = entries.indices.dropFirst(index).first(where: { entries[$0].isFrame }) {
                        entries[next].framesDroppedBefore &+= charge
                    } else {
                        pendingFrameDrops &+= charge
                    }
                }
            }
        }
        var entry = Entry(bytes: bytes, droppable: droppable)
        if entry.isFrame {
            entry.framesDroppedBefore = pendingFrameDrops
            pendingFrameDrops = 0
        }
        entries.append(entry)
        return dropped
    }

    /// Drops every droppable message not yet started (for a client about to be closed: what matters then is
    /// that its goodbye goes out soon).
    mutating func discardDroppable() {
        let keepHead = headOffset > 0 && !entries.isEmpty
        let head = keepHead ? [entries[0]] : []
        entries = head + entries.dropFirst(keepHead ? 1 : 0).filter { !$0.droppable }
    }

    /// Writes queued messages in order until `write` takes no more.
    ///
    /// `write` is given the unsent bytes of the head message and returns how many it wrote (nil or 0 to stop).
    /// Returns the bytes written.
    mutating func drain(_ write: (UnsafeRawBufferPointer) -> Int?) -> Int {
        var total = 0
        while !entries.isEmpty {
            // Frames are encoded with 0 there; writing only when needed keeps shared encodings uncopied.
            if headOffset == 0, entries[0].isFrame, entries[0].framesDroppedBefore > 0 {
                let count = entries[0].framesDroppedBefore.littleEndian
                withUnsafeBytes(of: count) { raw in
                    for index in 0..<4 { entries[0].bytes[MessageEncoder.droppedBeforeOffset + index] = raw[index] }
                }
            }
            let written = entries[0].bytes.withUnsafeBytes { raw in
                write(UnsafeRawBufferPointer(rebasing: raw[headOffset...]))
            }
            guard let written, written > 0 else { break }
            total += written
            headOffset += written
            guard headOffset == entries[0].bytes.count else { break }
            entries.removeFirst()
            headOffset = 0
        }
        return total
    }
}
