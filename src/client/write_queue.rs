//! Requests reach the socket in the order their calls were made. A request is
//! written on the calling thread when nothing is queued ahead of it and the
//! socket takes it whole at once (no hop to Tokio); otherwise what is left of it
//! joins one FIFO that a single writer task drains. Before, a request that could
//! not be written at once raced later ones for the writer lock, so `cancel(rt);
//! prompt(rt, x)` could reach the daemon reversed.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::AsyncWriteExt;
use tokio::net::unix::OwnedWriteHalf;
use tokio::sync::mpsc;

/// Called by the writer task when a queued request could not be written.
pub type OnWriteError = Box<dyn Fn(u64, std::io::Error) + Send + Sync>;

struct Queued {
    id: u64,
    bytes: Vec<u8>,
}

pub struct WriteQueue {
    /// Held while deciding between writing now and queueing, so two callers
    /// cannot pass each other between the check and the write.
    order: Mutex<()>,
    /// Requests handed to the writer task and not yet written.
    queued: Arc<AtomicUsize>,
    writer: Arc<tokio::sync::Mutex<OwnedWriteHalf>>,
    tx: mpsc::UnboundedSender<Queued>,
}

impl WriteQueue {
    /// Starts the writer task (on the current Tokio runtime).
    pub fn new(write_half: OwnedWriteHalf, on_error: OnWriteError) -> Self {
        let writer = Arc::new(tokio::sync::Mutex::new(write_half));
        let queued = Arc::new(AtomicUsize::new(0));
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(drain(rx, writer.clone(), queued.clone(), on_error));
        WriteQueue {
            order: Mutex::new(()),
            queued,
            writer,
            tx,
        }
    }

    /// Writes request `id` now if it can go first and whole, else queues (the
    /// rest of) it behind the requests already queued. Fails only when the
    /// socket refused a direct write.
    pub fn send(&self, id: u64, mut bytes: Vec<u8>) -> std::io::Result<()> {
        let _order = self.order.lock().unwrap_or_else(|p| p.into_inner());
        if self.queued.load(Ordering::SeqCst) == 0 {
            if let Ok(guard) = self.writer.try_lock() {
                match guard.try_write(&bytes) {
                    Ok(n) if n == bytes.len() => return Ok(()),
                    // The rest goes first in the queue: nothing is queued and
                    // `order` keeps others out until it is.
                    Ok(n) => {
                        bytes.drain(..n);
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                    Err(e) => return Err(e),
                }
            }
        }
        self.queued.fetch_add(1, Ordering::SeqCst);
        if self.tx.send(Queued { id, bytes }).is_err() {
            self.queued.fetch_sub(1, Ordering::SeqCst);
            return Err(std::io::ErrorKind::BrokenPipe.into());
        }
        Ok(())
    }
}

async fn drain(
    mut rx: mpsc::UnboundedReceiver<Queued>,
    writer: Arc<tokio::sync::Mutex<OwnedWriteHalf>>,
    queued: Arc<AtomicUsize>,
    on_error: OnWriteError,
) {
    while let Some(item) = rx.recv().await {
        let written = writer.lock().await.write_all(&item.bytes).await;
        queued.fetch_sub(1, Ordering::SeqCst);
        if let Err(e) = written {
            on_error(item.id, e);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;
    use tokio::net::UnixStream;

    /// Many requests from several threads at once, some too big to go out in
    /// one write: each thread's requests arrive in its own order, unbroken.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn requests_arrive_whole_and_in_call_order() {
        let (ours, mut theirs) = UnixStream::pair().unwrap();
        let (_read, write) = ours.into_split();
        let queue = Arc::new(WriteQueue::new(write, Box::new(|_, _| {})));
        let big = "x".repeat(300_000);
        let mut threads = Vec::new();
        for t in 0..3u64 {
            let queue = queue.clone();
            let big = big.clone();
            threads.push(std::thread::spawn(move || {
                for i in 0..200u64 {
                    let body = if i % 50 == 0 { big.as_str() } else { "" };
                    let line = format!("{t} {i} {body}\n");
                    queue.send(t * 1000 + i, line.into_bytes()).unwrap();
                }
            }));
        }
        let reader = tokio::spawn(async move {
            let mut all = Vec::new();
            let mut buf = vec![0u8; 1 << 16];
            while all.iter().filter(|&&b| b == b'\n').count() < 600 {
                let n = theirs.read(&mut buf).await.unwrap();
                all.extend_from_slice(&buf[..n]);
            }
            all
        });
        for t in threads {
            t.join().unwrap();
        }
        let all = reader.await.unwrap();
        let text = String::from_utf8(all).unwrap();
        let mut next = [0u64; 3];
        for line in text.lines() {
            let mut parts = line.splitn(3, ' ');
            let t: usize = parts.next().unwrap().parse().unwrap();
            let i: u64 = parts.next().unwrap().parse().unwrap();
            let body = parts.next().unwrap();
            assert_eq!(i, next[t], "thread {t} out of order");
            assert!(body.is_empty() || body.len() == big.len());
            next[t] += 1;
        }
        assert_eq!(next, [200, 200, 200]);
    }
}
