/// Parses the subset of TOML 1.0 that hand-edited daemon configs need: comments, `[table]` and
/// `[dotted.table]` headers, bare and quoted keys, basic and literal strings, integers (with `_`, `0x`,
/// `0o`, `0b`), floats, booleans and arrays (which may span lines).
///
/// Not accepted (each a syntax error naming the line): inline tables, arrays of tables, dates and times,
/// multi-line strings, dotted keys on the left of `=`. LebJe/TOMLKit 0.6.0 (toml++) was tried in its place and
/// refused: the seven bytes `[\nx = 1\n` (a libFuzzer finding of this parser, kept in HostileConfigurationTests)
/// make it abort on an assertion in toml++'s `parse_key`, in debug and release builds alike (SwiftPM compiles the
/// C++ without NDEBUG). toml++ fixed that precondition upstream (marzer/tomlplusplus#301); until TOMLKit ships a
/// toml++ with the fix, a config typo must not kill the daemon, so this file stays.
public struct TOMLParser {
    private var characters: [Character]
    private var position = 0
    private var line = 1

    /// Deepest nesting of arrays accepted. The parser recurses once per level, so without a limit a hostile file
    /// (`x = [[[…]]]`, 20,000 deep) overflows the stack; no daemon setting needs more than two.
    public static let maximumNesting = 32

    /// Longest piece of the file quoted in an error message; longer words are cut, so a 1 MB number does not
    /// make a 1 MB log line.
    static let quotedLimit = 40

    /// Parses `text` into entries with full dotted keys, in file order.
    public static func parse(_ text: String) throws(ConfigurationError) -> [TOMLEntry] {
        let characters = Array(text)
        // TOML lines end in LF or CRLF (one Character in Swift). A bare CR would otherwise be read as blank space
        // inside a line, turning a CR-only file into one long comment and so into all defaults, silently.
        if let index = characters.firstIndex(of: "\r") {
            let line = characters[..<index].reduce(1) { $1 == "\n" || $1 == "\r\n" ? $0 + 1 : $0 }
            throw .syntax(line: line, message: "bare carriage return (CR-only line endings?); lines must end in LF or CRLF")
        }
        var parser = TOMLParser(characters: characters)
        return try parser.document()
    }

    /// `text` for an error message: as is when short, else its start and its length.
    static func excerpt(_ text: some StringProtocol) -> String {
        // Line breaks (from escapes in quoted keys and strings) are shown, not written, so the message stays one line.
        let flat = String(text.flatMap { $0.isNewline ? Array("\\n") : [$0] })
        return flat.count <= quotedLimit ? flat : "\(flat.prefix(quotedLimit))… (\(text.count) characters)"
    }

    private init(characters: [Character]) {
        self.characters = characters
    }

    private var current: Character? { position < characters.count ? characters[position] : nil }

    private mutating func advance() {
        if current == "\n" { line += 1 }
        position += 1
    }

    private func fail(_ message: String) -> ConfigurationError { .syntax(line: line, message: message) }

    private mutating func skipSpaces() {
        while let character = current, character == " " || character == "\t" { advance() }
    }

    /// Skips spaces, comments and newlines (used between lines and inside arrays).
    private mutating func skipBlank() {
        while let character = current {
            if character == " " || character == "\t" || character == "\n" || character == "\r\n" || character == "\r" {
                advance()
            } else if character == "#" {
                while let next = current, next != "\n", next != "\r\n" { advance() }
            } else {
                return
            }
        }
    }

    /// After a value or header: only spaces and a comment may follow on the line.
    private mutating func endOfLine() throws(ConfigurationError) {
        skipSpaces()
        if current == "#" { while let next = current, next != "\n", next != "\r\n" { advance() } }
        guard current == nil || current == "\n" || current == "\r\n" else {
            throw fail("unexpected '\(Self.excerpt(String(current!)))' after the value; one key per line")
        }
    }

    private mutating func document() throws(ConfigurationError) -> [TOMLEntry] {
        var entries: [TOMLEntry] = []
        var seenKeys: Set<String> = []
        var seenTables: Set<String> = []
        var table = ""
        while true {
            skipBlank()
            guard let character = current else { return entries }
            if character == "[" {
                advance()
                if current == "[" { throw fail("arrays of tables ([[…]]) are not supported") }
                var parts: [String] = []
                repeat {
                    skipSpaces()
                    parts.append(try key())
                    skipSpaces()
                    if current == "." { advance() } else { break }
                } while true
                guard current == "]" else { throw fail("expected ']' to close the table header") }
                advance()
                table = parts.joined(separator: ".")
                guard seenTables.insert(table).inserted else { throw .duplicateKey("[\(table)]", line: line) }
                try endOfLine()
                continue
            }
            let keyLine = line
            let name = try key()
            skipSpaces()
            if current == "." { throw fail("dotted keys are not supported; use a [table] header") }
            guard current == "=" else { throw fail("expected '=' after key \(Self.excerpt(name))") }
            advance()
            skipSpaces()
            let fullKey = table.isEmpty ? name : "\(table).\(name)"
            let parsed = try value()
            guard seenKeys.insert(fullKey).inserted else { throw .duplicateKey(fullKey, line: keyLine) }
            entries.append(TOMLEntry(key: fullKey, value: parsed, line: keyLine))
            try endOfLine()
        }
    }

    private mutating func key() throws(ConfigurationError) -> String {
        if current == "\"" { return try basicString() }
        if current == "'" { return try literalString() }
        var name = ""
        while let character = current, character.isASCII, character.isLetter || character.isNumber || character == "_" || character == "-" {
            name.append(character)
            advance()
        }
        guard !name.isEmpty else { throw fail("expected a key, found \(current.map { "'\(Self.excerpt(String($0)))'" } ?? "end of file")") }
        return name
    }

    private mutating func value(depth: Int = 0) throws(ConfigurationError) -> TOMLValue {
        switch current {
        case "\"":
            if position + 2 < characters.count, characters[position + 1] == "\"", characters[position + 2] == "\"" {
                throw fail("multi-line strings are not supported")
            }
            return .string(try basicString())
        case "'": return .string(try literalString())
        case "[":
            guard depth < Self.maximumNesting else { throw fail("arrays nested deeper than \(Self.maximumNesting) levels") }
            return try array(depth: depth + 1)
        case "{": throw fail("inline tables are not supported")
        case nil: throw fail("expected a value, found end of file")
        default: return try scalar()
        }
    }

    private mutating func array(depth: Int) throws(ConfigurationError) -> TOMLValue {
        advance()
        var elements: [TOMLValue] = []
        while true {
            skipBlank()
            if current == "]" {
                advance()
                return .array(elements)
            }
            elements.append(try value(depth: depth))
            skipBlank()
            if current == "," {
                advance()
            } else if current != "]" {
                throw fail("expected ',' or ']' in array")
            }
        }
    }

    private mutating func basicString() throws(ConfigurationError) -> String { try quoted("\"", escapes: true) }

    private mutating func literalString() throws(ConfigurationError) -> String { try quoted("'", escapes: false) }

    /// A single-line string between `quote`s; basic strings (`escapes`) interpret backslash escapes.
    private mutating func quoted(_ quote: Character, escapes: Bool) throws(ConfigurationError) -> String {
        advance()
        var text = ""
        while true {
            guard let character = current, character != "\n", character != "\r\n" else {
                throw fail("unterminated string")
            }
            advance()
            if character == quote { return text }
            if escapes, character == "\\" {
                try appendEscape(to: &text)
            } else {
                text.append(character)
            }
        }
    }

    /// Reads the escape after a backslash and appends the character it stands for.
    private mutating func appendEscape(to text: inout String) throws(ConfigurationError) {
        guard let escape = current else { throw fail("unterminated string") }
        advance()
        switch escape {
        case "\"": text.append("\"")
        case "\\": text.append("\\")
        case "n": text.append("\n")
        case "t": text.append("\t")
        case "r": text.append("\r")
        case "b": text.append("\u{8}")
        case "f": text.append("\u{C}")
        case "u", "U":
            let digits = escape == "u" ? 4 : 8
            var hex = ""
            for _ in 0..<digits {
                guard let digit = current, digit.isHexDigit else { throw fail("bad \\\(escape) escape") }
                hex.append(digit)
                advance()
            }
            guard let scalar = UInt32(hex, radix: 16).flatMap(Unicode.Scalar.init) else { throw fail("bad \\\(escape) escape") }
            text.unicodeScalars.append(scalar)
        default:
            throw fail("unknown escape \\\(escape)")
        }
    }

    /// A bare word up to whitespace, `,`, `]` or `#`: boolean, integer or float.
    private mutating func scalar() throws(ConfigurationError) -> TOMLValue {
        var word = ""
        while let character = current, !" \t\n\r,]#".contains(character), character != "\r\n" {
            word.append(character)
            advance()
        }
        switch word {
        case "true": return .boolean(true)
        case "false": return .boolean(false)
        case "inf", "+inf": return .float(.infinity)
        case "-inf": return .float(-.infinity)
        case "nan", "+nan", "-nan": return .float(.nan)
        default: break
        }
        guard !word.contains("__"), word.first != "_", word.last != "_" else { throw fail("misplaced '_' in number \(Self.excerpt(word))") }
        let digits = String(word.filter { $0 != "_" })
        for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] where digits.hasPrefix(prefix) {
            guard let number = Int64(digits.dropFirst(2), radix: radix) else { throw fail("invalid number \(Self.excerpt(word))") }
            return .integer(number)
        }
        let unsigned = digits.hasPrefix("+") || digits.hasPrefix("-") ? String(digits.dropFirst()) : digits
        if unsigned.count > 1, unsigned.hasPrefix("0"), unsigned.allSatisfy(\.isNumber) {
            throw fail("leading zeros are not allowed in \(Self.excerpt(word)) (octal is written 0o…)")
        }
        if let number = Int64(digits) { return .integer(number) }
        if digits.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }), let number = Double(digits),
            !digits.hasPrefix("."), !digits.hasSuffix(".")
        {
            return .float(number)
        }
        throw fail(word.isEmpty ? "expected a value" : "invalid value \(Self.excerpt(word)) (strings need quotes)")
    }
}
