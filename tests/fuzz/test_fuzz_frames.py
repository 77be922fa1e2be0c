"""Fuzzing the two wire parsers (fingerprint sensor frames, Kerong lock-board frames) and their encoders.

Both parsers promise never to raise on what a UART delivers: they report valid frames, frames with a wrong sum
and (Kerong) garbage, and hold back at most one frame's worth of bytes. The encoders' documented error is
``ValueError``. Every property here is checked on arbitrary bytes in arbitrary chunks, on valid frames cut
short, on valid frames with one byte changed and on headers that claim impossible lengths; a hang would be
caught by pytest-timeout, and every loop the parsers run consumes at least one byte.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from hardware import fingerprint_protocol as fp
from hardware import kerong_protocol as kr
from tests.fuzz import fuzz

# ---------------------------------------------------------------------------------------------- helpers


@st.composite
def chunked(draw, data: bytes) -> list[bytes]:
    """``data`` cut at arbitrary places (including empty chunks, as a read() that timed out gives)."""
    cuts = sorted(draw(st.lists(st.integers(0, len(data)), max_size=12)))
    edges = [0, *cuts, len(data)]
    return [data[a:b] for a, b in zip(edges, edges[1:])]


def fp_run(chunks: list[bytes], parser: fp.PacketParser | None = None) -> list[fp.Packet | fp.BadChecksum]:
    parser = parser or fp.PacketParser()
    out: list[fp.Packet | fp.BadChecksum] = []
    for chunk in chunks:
        out += parser.feed(chunk)
        assert parser.pending <= fp.HEADER_LEN + fp.MAX_PAYLOAD + 2  # one candidate frame at most
    out += parser.idle()
    assert parser.pending == 0
    return out


def fp_frame(pid: int, payload: bytes, address: int) -> bytes:
    return fp.encode(pid, payload, address)


fp_pids = st.sampled_from([int(p) for p in fp.Pid])
fp_payloads = st.binary(max_size=fp.MAX_PAYLOAD)
fp_addresses = st.one_of(st.just(fp.DEFAULT_ADDRESS), st.integers(0, 0xFFFFFFFF))
fp_packets = st.builds(fp.Packet, pid=fp_pids, payload=fp_payloads, address=fp_addresses)


def kr_run(chunks: list[bytes]) -> tuple[list[kr.Item], bytes]:
    parser = kr.FrameParser()
    out: list[kr.Item] = []
    for chunk in chunks:
        out += parser.feed(chunk)
        assert len(parser.pending) <= 3 + max(kr.DATA_LEN.values()) + 1  # one candidate frame at most
    return out, parser.pending


def kr_raw(item: kr.Item) -> bytes:
    return item.encode() if isinstance(item, kr.Frame) else item.raw


@st.composite
def kr_frames(draw) -> kr.Frame:
    cmd = draw(st.sampled_from(sorted(kr.DATA_LEN)))
    return kr.Frame(draw(st.integers(0, 255)), cmd, draw(st.binary(min_size=kr.DATA_LEN[cmd],
                                                                    max_size=kr.DATA_LEN[cmd])))


def flip(data: bytes, index: int, mask: int) -> bytes:
    b = bytearray(data)
    b[index % len(b)] ^= mask
    return bytes(b)


# ---------------------------------------------------------------------------------------------- fingerprint


@fuzz()
@given(data=st.data(), raw=st.binary(max_size=600))
def test_fingerprint_parser_takes_any_bytes_in_any_chunks(data, raw):
    items = fp_run(data.draw(chunked(raw)))
    for item in items:
        assert isinstance(item, (fp.Packet, fp.BadChecksum))
        if isinstance(item, fp.Packet):
            assert fp_frame(item.pid, item.payload, item.address) in raw  # only what was on the wire
        else:
            assert item.received != item.expected
    assert items == fp_run([raw])  # chunking changes nothing


@fuzz()
@given(data=st.data(), noise=st.binary(max_size=80).filter(lambda b: fp.START not in b and not b.endswith(b"\xef")),
       packets=st.lists(fp_packets, min_size=1, max_size=4))
def test_fingerprint_frames_behind_noise_all_come_out(data, noise, packets):
    wire = noise + b"".join(fp_frame(p.pid, p.payload, p.address) for p in packets)
    assert fp_run(data.draw(chunked(wire))) == packets


@fuzz()
@given(packet=fp_packets, index=st.integers(0, 10_000), mask=st.integers(1, 255))
def test_fingerprint_frame_with_a_changed_byte_is_never_taken_for_it(packet, index, mask):
    good = fp_frame(packet.pid, packet.payload, packet.address)
    index %= len(good)
    bad = flip(good, index, mask)
    items = fp_run([bad])
    for item in items:
        if isinstance(item, fp.Packet):
            assert fp_frame(item.pid, item.payload, item.address) in bad
    at_start = [i for i in items if isinstance(i, fp.Packet) and bad.startswith(fp_frame(i.pid, i.payload, i.address))]
    if 2 <= index < 6:  # the sum does not cover the address: same frame, another address
        assert at_start == [fp.Packet(packet.pid, packet.payload, int.from_bytes(bad[2:6], "big"))]
    else:
        assert at_start == []
    if index >= fp.HEADER_LEN:  # payload or sum changed: reported as a bad frame with the header it claimed
        assert isinstance(items[0], fp.BadChecksum) and (items[0].pid, items[0].address) == (packet.pid, packet.address)


@fuzz()
@given(packet=fp_packets, data=st.data())
def test_fingerprint_truncated_frame_waits_then_completes(packet, data):
    good = fp_frame(packet.pid, packet.payload, packet.address)
    k = data.draw(st.integers(0, len(good) - 1))
    parser = fp.PacketParser()
    assert parser.feed(good[:k]) == []
    assert parser.pending == k
    assert parser.feed(good[k:]) == [packet]
    assert parser.pending == 0
    # and a frame cut short for good is given up when the line goes idle, never reported as a frame
    cut = fp.PacketParser()
    cut.feed(good[:k])
    assert not any(isinstance(i, fp.Packet) for i in cut.idle()) and cut.pending == 0


@fuzz()
@given(pid=st.integers(0, 255), length=st.one_of(st.integers(0, 1), st.integers(fp.MAX_PAYLOAD + 3, 0xFFFF)),
       address=fp_addresses, packet=fp_packets)
def test_fingerprint_impossible_length_or_pid_is_skipped(pid, length, address, packet):
    bogus = fp.START + address.to_bytes(4, "big") + bytes((pid,)) + length.to_bytes(2, "big")
    good = fp_frame(packet.pid, packet.payload, packet.address)
    parser = fp.PacketParser()
    assert parser.feed(bogus + good) == [packet]  # not held waiting for 64 KiB that never come
    assert parser.pending == 0


@fuzz()
@given(pid=st.integers(-(2**40), 2**40), payload=st.binary(max_size=300), address=st.integers(-(2**40), 2**40))
def test_fingerprint_encode_raises_value_error_or_round_trips(pid, payload, address):
    try:
        wire = fp.encode(pid, payload, address)
    except ValueError:
        assert not (0 <= pid <= 255 and 0 <= address <= 0xFFFFFFFF)
        return
    parser = fp.PacketParser(max_payload=len(payload))
    items = parser.feed(wire) + parser.idle()
    if pid in {int(p) for p in fp.Pid}:
        assert items == [fp.Packet(pid, payload, address)]
    else:
        assert not any(isinstance(i, fp.Packet) and i.pid == pid for i in items)


def test_fingerprint_encode_refuses_an_address_wider_than_32_bits():
    """Found by the fuzzer: an out-of-range address raised OverflowError from int.to_bytes, not ValueError."""
    for address in (-1, 2**32):
        try:
            fp.encode(fp.Pid.COMMAND, b"\x01", address)
        except ValueError as e:
            assert "address" in str(e)
        else:
            raise AssertionError(f"address {address} was encoded")


# ---------------------------------------------------------------------------------------------- kerong


@fuzz()
@given(data=st.data(), raw=st.binary(max_size=400))
def test_kerong_parser_accounts_for_every_byte_in_any_chunks(data, raw):
    items, pending = kr_run(data.draw(chunked(raw)))
    assert b"".join(kr_raw(i) for i in items) + pending == raw
    for item in items:
        assert isinstance(item, (kr.Frame, kr.BadChecksum, kr.Garbage))
        if isinstance(item, kr.BadChecksum):
            assert item.raw[0] == kr.STX and item.raw[-2] == kr.ETX and kr.checksum(item.raw[:-1]) != item.raw[-1]
    whole, whole_pending = kr_run([raw])
    frames = [i for i in items if not isinstance(i, kr.Garbage)]
    assert frames == [i for i in whole if not isinstance(i, kr.Garbage)] and pending == whole_pending


@fuzz()
@given(data=st.data(), frames=st.lists(kr_frames(), min_size=1, max_size=6))
def test_kerong_frames_round_trip_in_any_chunks(data, frames):
    wire = b"".join(f.encode() for f in frames)
    items, pending = kr_run(data.draw(chunked(wire)))
    assert items == frames and pending == b""


@fuzz()
@given(frame=kr_frames(), index=st.integers(0, 100), mask=st.integers(1, 255))
def test_kerong_frame_with_a_changed_byte_is_never_taken_for_it(frame, index, mask):
    good = frame.encode()
    bad = flip(good, index, mask)
    items, pending = kr_run([bad])
    assert b"".join(kr_raw(i) for i in items) + pending == bad
    assert frame not in items
    if index % len(good) not in (0, 2, len(good) - 2):
        # addr, data or sum changed while STX, cmd and ETX still frame it: the sum catches it, frame dropped whole
        assert items == [kr.BadChecksum(bad)] and pending == b""


@fuzz()
@given(frame=kr_frames(), data=st.data())
def test_kerong_truncated_frame_waits_then_completes(frame, data):
    good = frame.encode()
    k = data.draw(st.integers(1, len(good) - 1))
    parser = kr.FrameParser()
    assert parser.feed(good[:k]) == [] and parser.pending == good[:k]
    assert parser.feed(good[k:]) == [frame] and parser.pending == b""


@fuzz()
@given(addr=st.integers(-300, 600), cmd=st.integers(-5, 300), data=st.binary(max_size=6))
def test_kerong_encode_raises_value_error_or_round_trips(addr, cmd, data):
    frame = kr.Frame(addr, cmd, data)
    try:
        wire = frame.encode()
    except ValueError:
        assert not (cmd in kr.DATA_LEN and len(data) == kr.DATA_LEN[cmd] and 0 <= addr <= 255)
        return
    assert kr.FrameParser().feed(wire) == [frame]


@fuzz()
@given(frame=st.one_of(kr_frames(), st.builds(kr.Frame, st.integers(0, 255), st.integers(0, 255),
                                                st.binary(max_size=8))))
def test_kerong_decode_status_returns_a_status_or_raises_value_error(frame):
    try:
        status = kr.decode_status(frame)
    except ValueError:
        assert frame.cmd != kr.REPLY_STATUS or len(frame.data) != 4
        return
    assert len(status.doors_open) == len(status.items_inside) == kr.LOCKS_PER_BOARD
    again = kr.status_reply(frame.addr, status.doors_open, status.items_inside)
    assert again == frame  # every 4-byte reply means exactly one board state


@fuzz()
@given(addr=st.integers(0, 255), doors=st.lists(st.booleans(), min_size=16, max_size=16),
       items=st.lists(st.booleans(), min_size=16, max_size=16))
def test_kerong_status_reply_round_trips_through_the_wire(addr, doors, items):
    wire = kr.status_reply(addr, doors, items).encode()
    (frame,) = kr.FrameParser().feed(wire)
    assert kr.decode_status(frame) == kr.BoardStatus(tuple(doors), tuple(items))


@fuzz()
@given(board=st.integers(-50, 50), lock=st.integers(-50, 50), channel=st.integers(-1000, 1000),
       pulse=st.integers(-100_000, 100_000))
def test_kerong_builders_raise_value_error_on_out_of_range_numbers(board, lock, channel, pulse):
    for call in (lambda: kr.unlock(board, lock), lambda: kr.status(board, lock), lambda: kr.status_all(board),
                 lambda: kr.unlock_all(board), lambda: kr.set_pulse(board, pulse)):
        try:
            (frame,) = kr.FrameParser().feed(call())
        except ValueError:
            continue
        assert frame.board == board
    try:
        b, lk = kr.channel_to_board_lock(channel)
    except ValueError:
        assert not 1 <= channel <= 256
    else:
        assert b * 16 + lk + 1 == channel
