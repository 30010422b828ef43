//! The write side of one connection. Every message is written whole under one async
//! mutex, so responses and notifications never interleave mid-line (protocol §1.2).

use std::os::fd::AsRawFd;
use std::sync::Arc;

use tokio::io::AsyncWriteExt;
use tokio::net::unix::OwnedWriteHalf;
use tokio::sync::Mutex;

#[derive(Clone)]
pub struct ConnWriter {
    inner: Arc<Mutex<OwnedWriteHalf>>,
    fd: i32,
}

impl ConnWriter {
    pub fn new(half: OwnedWriteHalf) -> Self {
        let fd = half.as_ref().as_raw_fd();
        ConnWriter {
            inner: Arc::new(Mutex::new(half)),
            fd,
        }
    }

    /// Writes one or more complete lines. No deadline: a stalled reader stalls only
    /// its own connection, as in the real server.
    pub async fn write(&self, bytes: &[u8]) -> std::io::Result<()> {
        let mut w = self.inner.lock().await;
        w.write_all(bytes).await
    }

    /// Tears the connection down at once (over-long request line), even while other
    /// tasks still hold clones of this writer.
    pub fn abort(&self) {
        // SAFETY: shutdown(2) on the socket fd owned by this connection; the fd stays
        // valid until the last clone drops, so this cannot hit an unrelated descriptor.
        unsafe {
            libc::shutdown(self.fd, libc::SHUT_RDWR);
        }
    }
}
