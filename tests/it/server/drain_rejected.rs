//! `DrainRejectedLayer`, proven with a raw HTTP/2 client on one connection.
//!
//! The client writes frames by hand so that the order on the wire is exactly
//! the one that hurts: HEADERS (no END_STREAM), wait for the server's
//! rejection, then a small DATA frame and an empty one with END_STREAM. Without the layer, h2
//! resets each rejected stream and charges each late DATA frame to a budget
//! it never refunds, until it sends GOAWAY(ENHANCE_YOUR_CALM). With the layer
//! the body is drained, so no stream is reset and the connection lives.
//!
//! With one call at a time, as here, h2 keeps at most 50 locally reset
//! streams, for 1 s each, and only late DATA for those is charged: about 50
//! frames a second. With hyper's default 1 MiB window (budget 512 KiB, ~2,090
//! frames) this sequential pattern would need about 42 s on one connection
//! (under concurrent load far more frames are charged: `scripts/perf/loadtest.rs`
//! loses calls within a second). The test server here uses a 50 KiB window
//! (budget 25,600 units, ~102 frames): the same mechanism in a few seconds.

use crate::support::common;

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};

const DATA: u8 = 0x0;
const HEADERS: u8 = 0x1;
const RST_STREAM: u8 = 0x3;
const SETTINGS: u8 = 0x4;
const PING: u8 = 0x6;
const GOAWAY: u8 = 0x7;
const END_STREAM: u8 = 0x1;
const END_HEADERS: u8 = 0x4;
const ACK: u8 = 0x1;
const ENHANCE_YOUR_CALM: u32 = 0xb;

/// The test servers' connection window: h2's minimum budget.
const CONN_WINDOW: u32 = 51_200;
/// Long enough for several budgets' worth of charged frames (~2 s each).
/// Calls per run with the layer: more than h2 ever needed to send GOAWAY
/// without it (2,000 to 6,000 such calls seen: its heuristic against DATA
/// frames on reset streams).
const CALLS: u32 = 12_000;
/// Without the layer, calls go on until GOAWAY or the connection closes; this
/// many without either fails the test.
const CALLS_WITHOUT: u32 = 60_000;
/// Only a hung run takes this long.
const HUNG_AFTER: Duration = Duration::from_secs(300);

struct Frame {
    kind: u8,
    flags: u8,
    stream: u32,
    payload: Vec<u8>,
}

struct RawClient {
    reader: BufReader<OwnedReadHalf>,
    writer: OwnedWriteHalf,
}

#[derive(Debug, Default)]
struct Outcome {
    calls: u32,
    /// The server closed the connection (before or after its GOAWAY).
    closed: bool,
    rejections_received: u32,
    resets: u32,
    goaway: Option<u32>,
}

/// HPACK "literal header field without indexing, new name", no Huffman.
fn literal(block: &mut Vec<u8>, name: &str, value: &str) {
    assert!(name.len() < 127 && value.len() < 127);
    block.push(0x00);
    block.push(name.len() as u8);
    block.extend_from_slice(name.as_bytes());
    block.push(value.len() as u8);
    block.extend_from_slice(value.as_bytes());
}

fn request_headers() -> Vec<u8> {
    let mut block = Vec::new();
    literal(&mut block, ":method", "POST");
    literal(&mut block, ":scheme", "http");
    literal(&mut block, ":path", "/grpc.health.v1.Health/Check");
    literal(&mut block, ":authority", "127.0.0.1");
    literal(&mut block, "content-type", "application/grpc");
    literal(&mut block, "te", "trailers");
    literal(&mut block, "x-reject-with", "TOKEN_EXPIRED");
    block
}

impl RawClient {
    async fn connect(addr: std::net::SocketAddr) -> Self {
        let stream = TcpStream::connect(addr).await.unwrap();
        stream.set_nodelay(true).unwrap();
        let (read, write) = stream.into_split();
        let mut client = RawClient {
            reader: BufReader::new(read),
            writer: write,
        };
        client
            .writer
            .write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
            .await
            .unwrap();
        client.write(SETTINGS, 0, 0, &[]).await;
        client
    }

    async fn write(&mut self, kind: u8, flags: u8, stream: u32, payload: &[u8]) {
        let len = payload.len() as u32;
        let mut frame = Vec::with_capacity(9 + payload.len());
        frame.extend_from_slice(&len.to_be_bytes()[1..]);
        frame.push(kind);
        frame.push(flags);
        frame.extend_from_slice(&stream.to_be_bytes());
        frame.extend_from_slice(payload);
        // A server that sent GOAWAY may close before our next write lands;
        // the reads that follow see the GOAWAY or the closed connection.
        let _ = self.writer.write_all(&frame).await;
    }

    /// Reads one frame, answering SETTINGS and PING as a peer must.
    async fn read(&mut self) -> Option<Frame> {
        let mut head = [0u8; 9];
        self.reader.read_exact(&mut head).await.ok()?;
        let len = u32::from_be_bytes([0, head[0], head[1], head[2]]) as usize;
        let mut payload = vec![0; len];
        self.reader.read_exact(&mut payload).await.ok()?;
        let frame = Frame {
            kind: head[3],
            flags: head[4],
            stream: u32::from_be_bytes([head[5], head[6], head[7], head[8]]) & 0x7fff_ffff,
            payload,
        };
        if frame.kind == SETTINGS && frame.flags & ACK == 0 {
            self.write(SETTINGS, ACK, 0, &[]).await;
        }
        if frame.kind == PING && frame.flags & ACK == 0 {
            let payload = frame.payload.clone();
            self.write(PING, ACK, 0, &payload).await;
        }
        Some(frame)
    }

    fn note(outcome: &mut Outcome, frame: &Frame) {
        match frame.kind {
            RST_STREAM => outcome.resets += 1,
            GOAWAY => {
                let code = u32::from_be_bytes(frame.payload[4..8].try_into().unwrap());
                outcome.goaway = Some(code);
            }
            _ => {}
        }
    }

    /// `calls` rejected calls one after another, or fewer if GOAWAY comes or
    /// the connection closes. The deadline only stops a hung run: it is far
    /// beyond what the calls take on a loaded machine, and the test fails
    /// if it is hit (throughput is the benchmarks' business).
    async fn run(mut self, calls: u32) -> Outcome {
        let deadline = tokio::time::Instant::now() + HUNG_AFTER;
        let block = request_headers();
        let mut outcome = Outcome::default();
        // An empty gRPC message: 5-byte prefix, not compressed, length 0.
        let grpc_frame = [0u8; 5];
        let mut stream = 1;
        'calls: while outcome.calls < calls {
            assert!(
                tokio::time::Instant::now() < deadline,
                "hung after {} calls: {outcome:?}",
                outcome.calls
            );
            outcome.calls += 1;
            self.write(HEADERS, END_HEADERS, stream, &block).await;
            // Wait for the trailers-only rejection of this stream.
            loop {
                let Some(frame) = self.read().await else {
                    outcome.closed = true;
                    break 'calls;
                };
                Self::note(&mut outcome, &frame);
                if outcome.goaway.is_some() {
                    break 'calls;
                }
                if frame.kind == HEADERS && frame.stream == stream && frame.flags & END_STREAM != 0
                {
                    outcome.rejections_received += 1;
                    break;
                }
            }
            // The late request body, as hyper's client sends it: the message
            // in one DATA frame, then an empty DATA frame ending the stream.
            self.write(DATA, 0, stream, &grpc_frame).await;
            self.write(DATA, END_STREAM, stream, &[]).await;
            stream += 2;
        }
        if outcome.goaway.is_none() {
            // A PING round trip: every frame the server sent before it is in.
            tokio::time::sleep(Duration::from_millis(50)).await;
            self.write(PING, 0, 0, b"finalack").await;
            loop {
                let Some(frame) = self.read().await else {
                    outcome.closed = true;
                    break;
                };
                Self::note(&mut outcome, &frame);
                if frame.kind == PING && frame.flags & ACK != 0 || outcome.goaway.is_some() {
                    break;
                }
            }
        }
        outcome
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_layer_late_data_after_rejections_brings_goaway() {
    let server = common::start_with(false, Some(CONN_WINDOW)).await;
    let outcome = RawClient::connect(server.addr)
        .await
        .run(CALLS_WITHOUT)
        .await;
    server.shutdown().await;
    println!("without DrainRejectedLayer: {outcome:?}");
    // Usually the GOAWAY is read; if the server's close (a TCP reset, since
    // our late frames are unread) overtakes it, the connection is gone all
    // the same.
    assert!(
        outcome.goaway == Some(ENHANCE_YOUR_CALM) || outcome.goaway.is_none() && outcome.closed,
        "expected h2's GOAWAY(ENHANCE_YOUR_CALM) and the connection closed: {outcome:?}"
    );
    assert!(
        outcome.resets > 0,
        "rejected streams are reset: {outcome:?}"
    );
    assert!(outcome.rejections_received < outcome.calls);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_layer_no_goaway_no_reset_every_rejection_received() {
    let server = common::start_with(true, Some(CONN_WINDOW)).await;
    let outcome = RawClient::connect(server.addr).await.run(CALLS).await;
    server.shutdown().await;
    println!("with DrainRejectedLayer: {outcome:?}");
    assert_eq!(outcome.goaway, None, "{outcome:?}");
    assert!(!outcome.closed, "{outcome:?}");
    assert_eq!(outcome.resets, 0, "{outcome:?}");
    assert_eq!(outcome.calls, CALLS, "{outcome:?}");
    assert_eq!(outcome.rejections_received, CALLS, "{outcome:?}");
}
