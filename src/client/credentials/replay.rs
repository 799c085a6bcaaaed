//! Request bodies kept for one retry: up to a bound, the frames read are
//! kept and replayed before the rest of the body.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use http_body::{Body, Frame};

/// The request body, read as far as it was ready when the call was made.
pub(super) enum Prepared {
    /// Complete and within the bound: can be sent twice.
    Replayable(Bytes),
    /// Streaming or over the bound: the frames read so far, then the rest.
    Streaming(tonic::body::Body),
}

/// Reads the frames `body` has ready now, without waiting.
pub(super) fn prepare(mut body: tonic::body::Body, max: usize) -> Prepared {
    let mut cx = Context::from_waker(std::task::Waker::noop());
    let mut read = BytesMut::new();
    let mut frames: Vec<Frame<Bytes>> = Vec::new();
    loop {
        if body.is_end_stream() {
            return Prepared::Replayable(read.freeze());
        }
        match Pin::new(&mut body).poll_frame(&mut cx) {
            Poll::Ready(None) => return Prepared::Replayable(read.freeze()),
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    if read.len() + data.len() > max {
                        frames.push(Frame::data(read.split().freeze()));
                        frames.push(frame);
                        return Prepared::Streaming(resume(frames, body));
                    }
                    read.extend_from_slice(data);
                } else {
                    // Request trailers (not used by gRPC): do not replay.
                    frames.push(Frame::data(read.split().freeze()));
                    frames.push(frame);
                    return Prepared::Streaming(resume(frames, body));
                }
            }
            // An error is the body's to report: passed on after what was read.
            Poll::Ready(Some(Err(error))) => {
                frames.push(Frame::data(read.split().freeze()));
                return Prepared::Streaming(tonic::body::Body::new(Resumed {
                    frames: frames.into(),
                    error: Some(error),
                    rest: body,
                }));
            }
            Poll::Pending => {
                frames.push(Frame::data(read.split().freeze()));
                return Prepared::Streaming(resume(frames, body));
            }
        }
    }
}

/// `frames`, then the rest of `body`.
pub(super) fn resume(frames: Vec<Frame<Bytes>>, body: tonic::body::Body) -> tonic::body::Body {
    tonic::body::Body::new(Resumed {
        frames: frames.into(),
        error: None,
        rest: body,
    })
}

/// A body resumed after `prepare` read its first frames: those frames, then
/// an error it met, if any, then the rest.
pub(super) struct Resumed {
    pub(super) frames: std::collections::VecDeque<Frame<Bytes>>,
    pub(super) error: Option<tonic::Status>,
    pub(super) rest: tonic::body::Body,
}

impl Body for Resumed {
    type Data = Bytes;
    type Error = tonic::Status;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        while let Some(frame) = self.frames.pop_front() {
            if frame.data_ref().is_none_or(|d| !d.is_empty()) {
                return Poll::Ready(Some(Ok(frame)));
            }
        }
        if let Some(error) = self.error.take() {
            return Poll::Ready(Some(Err(error)));
        }
        Pin::new(&mut self.rest).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.frames.is_empty() && self.error.is_none() && self.rest.is_end_stream()
    }
}
