import Foundation

/// A validator for exactly the part of JSON Schema (draft 2020-12) that `schemas/*.schema.json` use, so the
/// tests can hold payloads to the published schemas without a third-party validator.
///
/// Keywords checked: `type` (a name or a list of names), `properties`, `required`, `additionalProperties`
/// (true or false only), `items` (one schema), `enum`, `const`, `minimum`, `maximum`, `minLength`,
/// `maxLength`, `pattern`, `minItems`, `maxItems`, `uniqueItems`, `allOf`, `if` with `then`, and `$ref` to
/// another schema of `schemas/` by its `$id` (applied as an `allOf` member). Ignored:
/// `$schema`, `$id`, `title`, `description`, `examples`. Any other keyword makes `init` throw, so a schema
/// can never rely on a rule nobody checks.
///
/// As JSON Schema specifies: keywords for one type of value (`minimum`, `pattern`, `properties`…) pass other
/// types by; an integer is a number with no fraction (`1.0` is one); `pattern` searches (it is not anchored
/// unless the pattern says `^…$`), and `$` outside a bracket matches only at the very end, as in ECMA-262
/// (ICU's `$` would also match before a final line break); a string's length counts Unicode code points.
public struct JSONSchemaSubset: Sendable {
    /// A JSON value as the validator sees it: booleans apart from numbers, every number a `Double`.
    public enum Value: Equatable, Sendable {
        case null
        case bool(Bool)
        case number(Double)
        case string(String)
        case array([Value])
        case object([String: Value])
    }

    /// A schema that uses something this validator does not implement, or a file that is not JSON.
    public struct SchemaError: Error, Equatable, CustomStringConvertible {
        public var description: String
    }

    /// One compiled schema (a node of the schema tree).
    struct Node: Sendable {
        struct Property: Sendable {
            var name: String
            var schema: Node
        }

        struct Conditional: Sendable {
            var condition: Node
            var consequence: Node
        }

        var types: [String]?
        var properties: [Property] = []
        var required: [String] = []
        /// `additionalProperties: false`.
        var closed = false
        /// The `items` schema: none or one.
        var items: [Node] = []
        var allowed: [Value]?
        var constant: Value?
        var minimum: Double?
        var maximum: Double?
        var minLength: Int?
        var maxLength: Int?
        /// The pattern as the schema writes it (messages quote this one).
        var pattern: String?
        var minItems: Int?
        var maxItems: Int?
        var uniqueItems = false
        var allOf: [Node] = []
        /// `if` with its `then`: none or one.
        var conditionals: [Conditional] = []
    }

    /// The keywords this validator checks.
    static let keywords: Set<String> = [
        "type", "properties", "required", "additionalProperties", "items", "enum", "const", "minimum", "maximum",
        "minLength", "maxLength", "pattern", "minItems", "maxItems", "uniqueItems", "allOf", "if", "then", "$ref",
    ]
    /// The keywords it reads past: annotations that constrain nothing.
    static let annotations: Set<String> = ["$schema", "$id", "title", "description", "examples"]
    /// The names `type` may use.
    static let typeNames = ["object", "array", "string", "integer", "number", "boolean", "null"]

    let root: Node
    /// The top-level `examples` of the schema, so a test can check they are valid.
    let examples: [Value]

    /// Loads and compiles a schema file; throws on a file that cannot be read, is not JSON, or uses a keyword
    /// (or a form of one) outside the subset.
    public init(schemaFile url: URL) throws {
        let name = url.lastPathComponent
        let bytes: [UInt8]
        do {
            bytes = try [UInt8](Data(contentsOf: url))
        } catch {
            throw SchemaError(description: "\(name): cannot be read (\(error))")
        }
        try self.init(schemaText: bytes, name: name)
    }

    /// Compiles a schema given as JSON text; `name` prefixes the messages.
    public init(schemaText: [UInt8], name: String = "schema") throws {
        let value: Value
        do {
            value = try Self.parse(schemaText)
        } catch {
            throw SchemaError(description: "\(name): not JSON (\(error))")
        }
        do {
            root = try Self.compile(value, at: "")
        } catch let problem as SchemaError {
            throw SchemaError(description: "\(name): \(problem.description)")
        }
        if case .object(let members) = value, case .array(let list)? = members["examples"] {
            examples = list
        } else {
            examples = []
        }
    }

    /// Every way `json` breaks the schema, each as `<JSON pointer>: <what is wrong>`, in a fixed order; empty
    /// when it is valid. Text that is not JSON gives one error.
    public func errors(in json: [UInt8]) -> [String] {
        let value: Value
        do {
            value = try Self.parse(json)
        } catch {
            return ["(root): not JSON (\(error))"]
        }
        return errors(in: value)
    }

    /// Every way `value` breaks the schema (the same message is reported once).
    public func errors(in value: Value) -> [String] {
        var found: [String] = []
        root.check(value, at: "", into: &found)
        var seen = Set<String>()
        return found.filter { seen.insert($0).inserted }
    }

    /// The repository's `schemas/` folder, found from this file: `Tests/CrossguardTestSupport/` is two levels
    /// below the package root.
    public static var schemasFolder: URL {
        URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent()  // Tests/CrossguardTestSupport
            .deletingLastPathComponent()  // Tests
            .deletingLastPathComponent()  // the package root
            .appendingPathComponent("schemas", isDirectory: true)
    }

    /// `schemas/<name>.schema.json`, compiled.
    public static func load(_ name: String) throws -> JSONSchemaSubset {
        try JSONSchemaSubset(schemaFile: schemasFolder.appendingPathComponent(name + ".schema.json"))
    }

    // MARK: - Parsing

    /// JSON text into a `Value`, through Foundation's `JSONSerialization`.
    public static func parse(_ bytes: [UInt8]) throws -> Value {
        let object = try JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
        guard let value = Value(foundation: object) else {
            throw SchemaError(description: "JSONSerialization returned a \(type(of: object))")
        }
        return value
    }

    // MARK: - Compiling

    /// Checks one schema object and everything below it; `path` is its JSON pointer in the schema file.
    static func compile(_ value: Value, at path: String) throws -> Node {
        func problem(_ keyword: String, _ message: String) -> SchemaError {
            SchemaError(description: "\(path)/\(keyword): \(message)")
        }
        guard case .object(let schema) = value else {
            throw SchemaError(description: "\(path.isEmpty ? "(root)" : path): a schema must be a JSON object here, found \(value.typeName)")
        }
        var node = Node()
        for key in schema.keys.sorted() where !keywords.contains(key) && !annotations.contains(key) {
            throw problem(key, "unknown keyword; this validator checks only \(keywords.sorted().joined(separator: ", "))")
        }
        for (key, entry) in schema.sorted(by: { $0.key < $1.key }) {
            switch key {
            case "$schema", "$id", "title", "description":
                guard case .string = entry else { throw problem(key, "must be a string") }
            case "examples":
                guard case .array = entry else { throw problem(key, "must be an array") }
            case "type":
                var names: [String] = []
                switch entry {
                case .string(let name):
                    names = [name]
                case .array(let list):
                    for item in list {
                        guard case .string(let name) = item else { throw problem(key, "must list type names") }
                        names.append(name)
                    }
                    guard !names.isEmpty, Set(names).count == names.count else { throw problem(key, "must list distinct type names") }
                default:
                    throw problem(key, "must be a type name or a list of them")
                }
                for name in names where !typeNames.contains(name) {
                    throw problem(key, "\"\(name)\" is not a type; one of: \(typeNames.joined(separator: ", "))")
                }
                node.types = names
            case "properties":
                guard case .object(let members) = entry else { throw problem(key, "must be an object of schemas") }
                for (name, member) in members.sorted(by: { $0.key < $1.key }) {
                    let compiled = try compile(member, at: "\(path)/properties/\(pointerToken(name))")
                    node.properties.append(Node.Property(name: name, schema: compiled))
                }
            case "required":
                guard case .array(let list) = entry else { throw problem(key, "must be an array of property names") }
                for item in list {
                    guard case .string(let name) = item else { throw problem(key, "must be an array of property names") }
                    node.required.append(name)
                }
                guard Set(node.required).count == node.required.count else { throw problem(key, "names a property twice") }
            case "additionalProperties":
                guard case .bool(let allowed) = entry else { throw problem(key, "must be true or false (a schema here is not supported)") }
                node.closed = !allowed
            case "items":
                let compiled = try compile(entry, at: "\(path)/items")
                node.items = [compiled]
            case "enum":
                guard case .array(let list) = entry, !list.isEmpty else { throw problem(key, "must be a non-empty array") }
                node.allowed = list
            case "const":
                node.constant = entry
            case "minimum", "maximum":
                guard case .number(let bound) = entry, bound.isFinite else { throw problem(key, "must be a number") }
                if key == "minimum" { node.minimum = bound } else { node.maximum = bound }
            case "minLength", "maxLength", "minItems", "maxItems":
                guard case .number(let bound) = entry, bound >= 0, bound <= 1e9, bound == bound.rounded(.towardZero) else {
                    throw problem(key, "must be a non-negative integer")
                }
                switch key {
                case "minLength": node.minLength = Int(bound)
                case "maxLength": node.maxLength = Int(bound)
                case "minItems": node.minItems = Int(bound)
                default: node.maxItems = Int(bound)
                }
            case "pattern":
                guard case .string(let pattern) = entry else { throw problem(key, "must be a string") }
                do {
                    _ = try NSRegularExpression(pattern: ecmaAnchors(pattern), options: [])
                } catch {
                    throw problem(key, "\(pattern.debugDescription) is not a regular expression")
                }
                node.pattern = pattern
            case "uniqueItems":
                guard case .bool(let unique) = entry else { throw problem(key, "must be true or false") }
                node.uniqueItems = unique
            case "allOf":
                guard case .array(let list) = entry, !list.isEmpty else { throw problem(key, "must be a non-empty array of schemas") }
                for (index, member) in list.enumerated() {
                    let compiled = try compile(member, at: "\(path)/allOf/\(index)")
                    node.allOf.append(compiled)
                }
            case "$ref":
                // Only another of the repository's schemas, by its `$id`; it applies as an allOf member would.
                let base = "https://crossguard.example/schemas/", suffix = ".schema.json"
                guard case .string(let target) = entry, target.hasPrefix(base), target.hasSuffix(suffix) else {
                    throw problem(key, "must be the $id of a schema in schemas/ (\(base)<name>\(suffix))")
                }
                let name = String(target.dropFirst(base.count).dropLast(suffix.count))
                let url = schemasFolder.appendingPathComponent(name + suffix)
                guard let data = FileManager.default.contents(atPath: url.path) else { throw problem(key, "\(url.path) does not exist") }
                node.allOf.append(try compile(try parse([UInt8](data)), at: "\(path)/$ref(\(name))"))
            default:
                break  // `if` and `then`, below
            }
        }
        switch (schema["if"], schema["then"]) {
        case (nil, nil):
            break
        case (let condition?, let consequence?):
            let compiledCondition = try compile(condition, at: "\(path)/if")
            let compiledConsequence = try compile(consequence, at: "\(path)/then")
            node.conditionals = [Node.Conditional(condition: compiledCondition, consequence: compiledConsequence)]
        case (nil, _?):
            throw problem("then", "needs an \"if\"")
        case (_?, nil):
            throw problem("if", "needs a \"then\" (\"else\" is not supported)")
        }
        if node.closed {
            for name in node.required where !node.properties.contains(where: { $0.name == name }) {
                throw problem("required", "\"\(name)\" is required but is not among the properties, and additionalProperties is false")
            }
        }
        return node
    }

    /// The pattern with each `$` outside a bracket expression turned into ICU's `\z` (the very end of the
    /// input), which is what `$` means in ECMA-262 without the multiline flag.
    static func ecmaAnchors(_ pattern: String) -> String {
        var out = ""
        var escaped = false
        var inBracket = false
        for character in pattern {
            if escaped {
                out.append(character)
                escaped = false
                continue
            }
            switch character {
            case "\\":
                escaped = true
                out.append(character)
            case "[":
                inBracket = true
                out.append(character)
            case "]":
                inBracket = false
                out.append(character)
            case "$" where !inBracket:
                out += "\\z"
            default:
                out.append(character)
            }
        }
        return out
    }

    /// A property name as a JSON pointer token (RFC 6901: `~` as `~0`, `/` as `~1`).
    static func pointerToken(_ name: String) -> String {
        name.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
    }

    /// Whether `pattern` matches somewhere in `string`.
    static func matches(_ string: String, pattern: String) -> Bool {
        guard let regex = try? NSRegularExpression(pattern: ecmaAnchors(pattern), options: []) else { return false }
        return regex.firstMatch(in: string, options: [], range: NSRange(location: 0, length: string.utf16.count)) != nil
    }
}

extension JSONSchemaSubset.Node {
    /// Appends every way `value` (at JSON pointer `path`) breaks this schema. A value of the wrong type gets that
    /// one message and no more from this schema.
    func check(_ value: JSONSchemaSubset.Value, at path: String, into errors: inout [String]) {
        let here = path.isEmpty ? "(root)" : path
        if let types, !types.contains(where: { value.isOfType($0) }) {
            errors.append("\(here): expected \(types.joined(separator: " or ")), found \(value.typeName)")
            return
        }
        if let allowed, !allowed.contains(value) {
            errors.append("\(here): \(value.brief) is not one of: \(allowed.map(\.brief).joined(separator: ", "))")
        }
        if let constant, value != constant {
            errors.append("\(here): must be \(constant.brief), found \(value.brief)")
        }
        switch value {
        case .number(let number):
            if let minimum, number < minimum {
                errors.append("\(here): \(value.brief) is less than the minimum \(JSONSchemaSubset.Value.number(minimum).brief)")
            }
            if let maximum, number > maximum {
                errors.append("\(here): \(value.brief) is more than the maximum \(JSONSchemaSubset.Value.number(maximum).brief)")
            }
        case .string(let string):
            let length = string.unicodeScalars.count
            if let minLength, length < minLength {
                errors.append("\(here): \(Self.count(length, "character")), fewer than the minimum \(minLength)")
            }
            if let maxLength, length > maxLength {
                errors.append("\(here): \(Self.count(length, "character")), more than the maximum \(maxLength)")
            }
            if let pattern, !JSONSchemaSubset.matches(string, pattern: pattern) {
                errors.append("\(here): \(value.brief) does not match \(pattern)")
            }
        case .array(let elements):
            if let minItems, elements.count < minItems {
                errors.append("\(here): \(Self.count(elements.count, "item")), fewer than the minimum \(minItems)")
            }
            if let maxItems, elements.count > maxItems {
                errors.append("\(here): \(Self.count(elements.count, "item")), more than the maximum \(maxItems)")
            }
            if uniqueItems {
                for first in elements.indices {
                    for second in elements.indices where second > first && elements[first] == elements[second] {
                        errors.append("\(here): items \(first) and \(second) are equal")
                    }
                }
            }
            for schema in items {
                for (index, element) in elements.enumerated() {
                    schema.check(element, at: "\(path)/\(index)", into: &errors)
                }
            }
        case .object(let members):
            for name in required where members[name] == nil {
                errors.append("\(path)/\(JSONSchemaSubset.pointerToken(name)): is required but missing")
            }
            for property in properties {
                if let member = members[property.name] {
                    property.schema.check(member, at: "\(path)/\(JSONSchemaSubset.pointerToken(property.name))", into: &errors)
                }
            }
            if closed {
                for name in members.keys.sorted() where !properties.contains(where: { $0.name == name }) {
                    errors.append("\(path)/\(JSONSchemaSubset.pointerToken(name)): is not allowed here")
                }
            }
        case .null, .bool:
            break
        }
        for schema in allOf {
            schema.check(value, at: path, into: &errors)
        }
        for conditional in conditionals {
            var failures: [String] = []
            conditional.condition.check(value, at: path, into: &failures)
            if failures.isEmpty {
                conditional.consequence.check(value, at: path, into: &errors)
            }
        }
    }

    /// `1 item`, `3 items`.
    static func count(_ n: Int, _ noun: String) -> String {
        n == 1 ? "1 \(noun)" : "\(n) \(noun)s"
    }
}

extension JSONSchemaSubset.Value {
    /// A value from what `JSONSerialization` returns. Foundation hands back `true` and `false` as the two shared
    /// boolean `NSNumber`s (CFBoolean, on Linux as on Darwin), so they are told apart from the numbers 1 and 0
    /// by identity, never by value or by a cast to `Bool` (which accepts any number).
    init?(foundation object: Any) {
        if object is NSNull {
            self = .null
        } else if let number = object as? NSNumber {
            if number === NSNumber(value: true) {
                self = .bool(true)
            } else if number === NSNumber(value: false) {
                self = .bool(false)
            } else {
                self = .number(number.doubleValue)
            }
        } else if let string = object as? String {
            self = .string(string)
        } else if let list = object as? [Any] {
            var elements: [JSONSchemaSubset.Value] = []
            for item in list {
                guard let element = JSONSchemaSubset.Value(foundation: item) else { return nil }
                elements.append(element)
            }
            self = .array(elements)
        } else if let dictionary = object as? [String: Any] {
            var members: [String: JSONSchemaSubset.Value] = [:]
            for (key, item) in dictionary {
                guard let member = JSONSchemaSubset.Value(foundation: item) else { return nil }
                members[key] = member
            }
            self = .object(members)
        } else {
            return nil
        }
    }

    /// Whether the value is of the JSON Schema type `name`.
    func isOfType(_ name: String) -> Bool {
        switch self {
        case .null: return name == "null"
        case .bool: return name == "boolean"
        case .number(let number): return name == "number" || (name == "integer" && Self.isIntegral(number))
        case .string: return name == "string"
        case .array: return name == "array"
        case .object: return name == "object"
        }
    }

    /// The type named in messages: a number with no fraction is an integer.
    var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .number(let number): return Self.isIntegral(number) ? "integer" : "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }

    /// The value as messages show it: scalars as written, containers by kind.
    var brief: String {
        switch self {
        case .null: return "null"
        case .bool(let flag): return flag ? "true" : "false"
        case .number(let number):
            if Self.isIntegral(number) && abs(number) < 1e15 { return String(Int64(number)) }
            return String(number)
        case .string(let string): return string.debugDescription
        case .array: return "an array"
        case .object: return "an object"
        }
    }

    static func isIntegral(_ number: Double) -> Bool {
        number.isFinite && number == number.rounded(.towardZero)
    }
}
