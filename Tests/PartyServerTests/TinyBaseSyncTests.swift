import Foundation
import PartyTinyBase
import Testing

/// PartyTinyBase's wire format (frames, validation, split messages) and the synchronizer peer:
/// stores converging through the message exchange, routed in memory as TinyBase's WebSocket
/// server routes them.
@Suite("TinyBase sync: frames, reassembly, the server's peer")
struct TinyBaseSyncTests {
    // MARK: Frames

    @Test("Malformed payloads are refused with typed errors; overflow closes with 1013, the rest with 1007")
    func malformedFrames() {
        let hlc = "Nn1JUF-----FnHIC"
        let invalid: [(String, UInt16)] = [
            ("no newline", 1007),
            ("S\nnot json", 1007),
            ("S\n[null,1]", 1007),
            ("S\n[1,1,\"\"]", 1007),  // request id neither null nor string
            ("S\n[\"\u{FFFC}\",1,\"\"]", 1007),  // request id undefined
            ("S\n[null,1.5,\"\"]", 1007),
            ("S\n[null,\"1\",\"\"]", 1007),
            ("S\n[null,8,{}]", 1007),  // GetBucketDiff is not legacy
            ("S\n[null,-1,[0,1]]", 1007),  // a multiplexing control frame
            ("S\n[null,1,\"x\"]", 1007),
            ("S\n[null,2,[1]]", 1007),
            ("S\n[null,2,[1,-1]]", 1007),
            ("S\n[null,2,[1,4294967296]]", 1007),
            ("S\n[null,2,[1,2.5]]", 1007),
            ("S\n[null,3,[[{}],[{}],2]]", 1007),
            ("S\n[null,3,[[{\"t\":[{\"r\":[{\"c\":[1,\"\(hlc)\",5]}]}]}],[{}],1]]", 1007),  // a hash in a stamp
            ("S\n[null,3,[[{\"t\":[{\"r\":[{\"c\":[1,\"bad\"]}]}]}],[{}],1]]", 1007),
            ("S\n[null,3,[[{\"t\":[{\"r\":[{\"c\":[{\"raw\":1}]}]}]}],[{}],1]]", 1007),
            ("S\n[null,3,[[{\"t\":[{\"r\":[{\"c\":[]}]}]}],[{}],1]]", 1007),
            ("S\n[null,3,[[[]],[{}],1]]", 1007),
            ("S\n[null,4,[]]", 1007),
            ("S\n[null,5,{\"t\":1}]", 1007),
            ("S\n[null,6,{\"t\":{\"r\":1}}]", 1007),
            ("S\n[null,7,{\"v\":null}]", 1007),
            ("S\n[\"r\",0,\"text\"]", 1007),
            ("S\n[null,1,\"\"] trailing", 1007),
            ("S\n[null,1,\"\\ud800\"]", 1007),
            ("\nFRAGMENTID012345\n2\n2\nx", 1007),  // index beyond total
            ("\nFRAGMENTID012345\n0\n0\nx", 1007),
            ("\nFRAGMENT!D012345\n0\n2\nx", 1007),
            ("\nFRAGMENTID012345\n0\n1001\nx", 1013),
            ("\nFRAGMENTID012345\n0\n99999999999999999999999\nx", 1013),
        ]
        for (payload, code) in invalid {
            var buffer = TinyBaseReassemblyBuffer()
            do {
                _ = try buffer.decode(payload, now: 0)
                Issue.record("accepted \(payload.debugDescription)")
            } catch {
                #expect(error.closeCode == code, "\(payload.debugDescription): \(error)")
            }
            #expect(throws: TinyBaseProtocolError.self, "refuses everything after an error") {
                try buffer.decode("S\n[null,1,\"\"]", now: 0)
            }
        }
        let deep = "S\n[null,0," + String(repeating: "[", count: 40) + String(repeating: "]", count: 40) + "]"
        var buffer = TinyBaseReassemblyBuffer()
        #expect(throws: TinyBaseProtocolError.self) { try buffer.decode(deep, now: 0) }
    }

    @Test("Well-formed messages of each type read and write back as the same text")
    func messageRoundTrip() throws {
        let hlc = "Nn1JUF-----FnHIC"
        for text in [
            #"[null,1,""]"#, #"["id",2,[1,4294967295]]"#,
            #"[null,3,[[{"t":[{"r":[{"c":["\#u{FFFC}","\#(hlc)"],"d":[null]},"\#(hlc)"]}]}],[{"v":[1e+21,"\#(hlc)"]},"\#(hlc)"],1]]"#,
            #"[null,3,[[{}],[{}]]]"#, #"["r",4,{"10":1,"a":2}]"#, #"["r",5,{"t":{"r":3}}]"#,
            #"["r",6,{"t":{"r":{"c":0}}}]"#, #"["r",7,{}]"#, #"["r",0,[1,2]]"#, #"["r",0,[[{}],{"t":1}]]"#,
            #"["r",0,[{"t":[{"r":[{"c":[true,"\#(hlc)"]}]}]}]]"#, #"["r",0,{"t":{"r":1}}]"#,
        ] {
            #expect(try TinyBaseMessage.parse(text).text == text)
        }
        // JSON.parse puts integer-like keys first; so do we.
        #expect(try TinyBaseMessage.parse(#"["r",4,{"b":1,"10":2,"2":3}]"#).text == #"["r",4,{"2":3,"10":2,"b":1}]"#)
    }

    @Test("Split messages: the reference's fragments, reassembled in any order, interleaved, with limits")
    func splitMessages() throws {
        for vector in try TinyBaseVectors.load().fragments {
            let message = try TinyBaseMessage.parse(#"[\#(vector.requestId.map { "\"\($0)\"" } ?? "null"),\#(vector.type),\#(vector.body)]"#)
            let payloads = TinyBaseFrame.payloads(
                to: vector.to, message, fragmentSize: vector.fragmentSize, messageId: vector.messageId)
            #expect(payloads == vector.payloads)
            var buffer = TinyBaseReassemblyBuffer()
            var decoded: [TinyBaseReassemblyBuffer.Decoded] = []
            for payload in payloads.reversed() {
                if let whole = try buffer.decode(payload, now: 0) { decoded.append(whole) }
            }
            #expect(decoded.count == 1)
            #expect(decoded.first?.message == message)
            #expect(decoded.first?.clientId == vector.to)
            #expect(decoded.first?.remainders == payloads.map { try! TinyBaseFrame.split($0).remainder })
            #expect(buffer.messagesInProgress == 0)
        }

        let big = TinyBaseMessage(requestId: nil, body: .getValueDiff(TinyBaseHashes((0..<50).map { ("value\($0)", UInt32($0)) })))
        let first = TinyBaseFrame.payloads(to: "S", big, fragmentSize: 40, messageId: "AAAAAAAAAAAAAAAA")
        let second = TinyBaseFrame.payloads(to: "S", big, fragmentSize: 40, messageId: "BBBBBBBBBBBBBBBB")
        var buffer = TinyBaseReassemblyBuffer()
        var completed = 0
        for (a, b) in zip(first, second) {
            if try buffer.decode(a, now: 0) != nil { completed += 1 }
            if try buffer.decode(b, now: 0) != nil { completed += 1 }
        }
        #expect(completed == 2)

        // A repeated fragment is malformed; an incomplete message expires after the timeout.
        var repeated = TinyBaseReassemblyBuffer()
        _ = try repeated.decode(first[0], now: 0)
        #expect(throws: TinyBaseProtocolError.invalidFragment("fragment 0 of AAAAAAAAAAAAAAAA repeated or with another total")) {
            try repeated.decode(first[0], now: 0)
        }
        var slow = TinyBaseReassemblyBuffer()
        _ = try slow.decode(first[0], now: 0)
        #expect(slow.messagesInProgress == 1)
        slow.expire(now: 1000)
        #expect(slow.messagesInProgress == 0)

        var limits = TinyBaseReassemblyBuffer.Limits()
        limits.maxMessagesInProgress = 1
        var crowded = TinyBaseReassemblyBuffer(limits: limits)
        _ = try crowded.decode(first[0], now: 0)
        do {
            _ = try crowded.decode(second[0], now: 0)
            Issue.record("a second message in progress was accepted")
        } catch {
            #expect(error.closeCode == 1013)
        }
        limits = TinyBaseReassemblyBuffer.Limits()
        limits.maxPayloadBytes = 10
        var small = TinyBaseReassemblyBuffer(limits: limits)
        #expect(throws: TinyBaseProtocolError.overflow("payload of 13 bytes")) { try small.decode("S\n[null,1,\"\"]", now: 0) }
    }
}
