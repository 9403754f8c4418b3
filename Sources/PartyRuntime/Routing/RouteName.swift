/// Route names of server types: the kebab-case of the type name, matched case-insensitively.
public enum RouteName {
    /// The kebab-case of a type name: `ChatRoom` → `chat-room`, `HTTPServer` → `http-server`.
    public static func kebabCase(_ typeName: String) -> String {
        let characters = Array(typeName)
        var result = ""
        for (index, character) in characters.enumerated() {
            if character == "_" || character == " " {
                if !result.isEmpty, result.last != "-" { result.append("-") }
                continue
            }
            if character.isUppercase {
                let previous = index > 0 ? characters[index - 1] : nil
                let next = index + 1 < characters.count ? characters[index + 1] : nil
                let startsWord =
                    (previous.map { $0.isLowercase || $0.isNumber } ?? false)
                    || ((previous?.isUppercase ?? false) && (next?.isLowercase ?? false))
                if startsWord, !result.isEmpty, result.last != "-" { result.append("-") }
                result.append(contentsOf: character.lowercased())
            } else {
                result.append(character)
            }
        }
        return result
    }

    /// Whether `name` is usable as a route name: 1–64 of `a-z`, `0-9`, `-`, `_`, `.`.
    public static func isValid(_ name: String) -> Bool {
        guard !name.isEmpty, name.utf8.count <= 64 else { return false }
        return name.utf8.allSatisfy { byte in
            (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39) || byte == 0x2D || byte == 0x5F || byte == 0x2E
        }
    }
}
