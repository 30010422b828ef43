//! Writes requests straight to the socket from the calling thread, in call
//! order. Unlike a Tokio socket, the descriptor is not registered with Tokio's
//! poller until a write cannot finish at once: a registered socket wakes a
//! Tokio thread each time a reply arrives or send space frees, which on a
//! small machine costs the caller's latency. What the socket does not take at
//! once (a large request, a stalled daemon) is finished by one writer task,
//! and later requests queue behind it until it is done.

use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use tokio::io::unix::AsyncFd;
use tokio::io::Interest;
use tokio::sync::mpsc;

pub struct DirectWriter {
    /// `None` once released.
    fd: Option<OwnedFd>,
    /// Requests handed to the writer task and not yet written.
    queued: Arc<AtomicUsize>,
    backlog: Option<mpsc::UnboundedSender<Vec<u8>>>,
    runtime: Option<tokio::runtime::Handle>,
}

impl DirectWriter {
    /// Takes the connection's descriptor (non-blocking). The writer task, if
    /// ever needed, runs on the Tokio runtime current here.
    pub fn new(fd: OwnedFd) -> std::io::Result<Self> {
        set_nonblocking(fd.as_raw_fd())?;
        no_sigpipe(fd.as_raw_fd());
        Ok(DirectWriter {
            fd: Some(fd),
            queued: Arc::new(AtomicUsize::new(0)),
            backlog: None,
            runtime: tokio::runtime::Handle::try_current().ok(),
        })
    }

    /// The descriptor, or -1 once released.
    pub fn raw_fd(&self) -> RawFd {
        self.fd.as_ref().map_or(-1, |fd| fd.as_raw_fd())
    }

    /// Closes the descriptor now, and lets the writer task (which holds its
    /// own) end once its channel is drained: the connection is over, so a
    /// closed client costs no descriptor while its object waits for the
    /// garbage collector. Later sends fail.
    pub fn release(&mut self) {
        self.fd = None;
        self.backlog = None;
    }

    /// Writes `bytes` now if nothing is queued and the socket takes them; else
    /// queues what is left behind the queued requests. Fails when the socket
    /// refused the write (the connection is broken).
    pub fn send(&mut self, mut bytes: Vec<u8>) -> std::io::Result<()> {
        let Some(fd) = self.fd.as_ref().map(|fd| fd.as_raw_fd()) else {
            return Err(std::io::ErrorKind::BrokenPipe.into());
        };
        if self.queued.load(Ordering::SeqCst) == 0 {
            match write_some(fd, &bytes) {
                Ok(n) if n == bytes.len() => return Ok(()),
                Ok(n) => {
                    bytes.drain(..n);
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(e) => return Err(e),
            }
        }
        let backlog = self.backlog()?;
        self.queued.fetch_add(1, Ordering::SeqCst);
        if backlog.send(bytes).is_err() {
            self.queued.fetch_sub(1, Ordering::SeqCst);
            return Err(std::io::ErrorKind::BrokenPipe.into());
        }
        Ok(())
    }

    fn backlog(&mut self) -> std::io::Result<mpsc::UnboundedSender<Vec<u8>>> {
        if let Some(tx) = &self.backlog {
            return Ok(tx.clone());
        }
        let runtime = self
            .runtime
            .clone()
            .ok_or_else(|| std::io::Error::other("no runtime for the request writer"))?;
        // Its own descriptor, registered for write readiness only.
        let fd = match &self.fd {
            Some(fd) => fd.try_clone()?,
            None => return Err(std::io::ErrorKind::BrokenPipe.into()),
        };
        let (tx, rx) = mpsc::unbounded_channel();
        let queued = self.queued.clone();
        runtime.spawn(async move {
            let _ = drain(fd, rx, queued).await;
        });
        self.backlog = Some(tx.clone());
        Ok(tx)
    }
}

async fn drain(
    fd: OwnedFd,
    mut rx: mpsc::UnboundedReceiver<Vec<u8>>,
    queued: Arc<AtomicUsize>,
) -> std::io::Result<()> {
    // SAFETY: `fd` is owned here and moves into the AsyncFd, which is the only
    // user of this descriptor and deregisters it before closing it.
    let socket = unsafe { AsyncFd::register_with_interest(fd, Interest::WRITABLE) }?;
    while let Some(bytes) = rx.recv().await {
        let mut rest = &bytes[..];
        while !rest.is_empty() {
            let mut ready = socket.writable().await?;
            match ready.try_io(|fd| write_some(fd.as_raw_fd(), rest)) {
                Ok(Ok(n)) => rest = &rest[n..],
                Ok(Err(e)) => {
                    // The connection is broken: its read side ends too, which
                    // fails the calls waiting; what is queued is dropped.
                    queued.store(0, Ordering::SeqCst);
                    return Err(e);
                }
                Err(_would_block) => {}
            }
        }
        queued.fetch_sub(1, Ordering::SeqCst);
    }
    Ok(())
}

/// One `send`, retried on EINTR, without SIGPIPE on a closed peer.
fn write_some(fd: RawFd, bytes: &[u8]) -> std::io::Result<usize> {
    #[cfg(target_os = "linux")]
    const FLAGS: libc::c_int = libc::MSG_NOSIGNAL;
    // macOS has no MSG_NOSIGNAL; SO_NOSIGPIPE is set on the socket instead.
    #[cfg(not(target_os = "linux"))]
    const FLAGS: libc::c_int = 0;
    loop {
        // SAFETY: a send of a live buffer on a descriptor the caller keeps open.
        let n = unsafe { libc::send(fd, bytes.as_ptr().cast(), bytes.len(), FLAGS) };
        if n >= 0 {
            return Ok(n as usize);
        }
        let e = std::io::Error::last_os_error();
        if e.kind() != std::io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
}

fn set_nonblocking(fd: RawFd) -> std::io::Result<()> {
    // SAFETY: fcntl on a descriptor the caller owns.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    if flags < 0 || unsafe { libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK) } < 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

#[cfg(target_vendor = "apple")]
fn no_sigpipe(fd: RawFd) {
    let on: libc::c_int = 1;
    // SAFETY: setsockopt with a live c_int on a socket the caller owns.
    unsafe {
        libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_NOSIGPIPE,
            (&on as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
}

#[cfg(not(target_vendor = "apple"))]
fn no_sigpipe(_fd: RawFd) {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;
    use std::os::unix::net::UnixStream;

    /// Requests too big for the socket's buffer finish in the background, and
    /// the small ones made meanwhile arrive after them, whole and in order.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn what_the_socket_cannot_take_at_once_is_finished_in_order() {
        let (ours, mut theirs) = UnixStream::pair().unwrap();
        let mut writer = DirectWriter::new(OwnedFd::from(ours)).unwrap();
        let big = "x".repeat(1_000_000);
        let mut expected = String::new();
        for i in 0..20 {
            let line = if i % 5 == 0 {
                format!("{i} {big}\n")
            } else {
                format!("{i}\n")
            };
            expected.push_str(&line);
            writer.send(line.into_bytes()).unwrap();
        }
        let got = tokio::task::spawn_blocking(move || {
            let mut all = vec![0u8; expected.len()];
            theirs.read_exact(&mut all).unwrap();
            (all, expected)
        })
        .await
        .unwrap();
        assert!(got.0 == got.1.as_bytes(), "bytes differ");
    }

    #[test]
    fn a_released_writer_has_closed_its_descriptor_and_refuses_to_send() {
        let (ours, mut theirs) = UnixStream::pair().unwrap();
        let mut writer = DirectWriter::new(OwnedFd::from(ours)).unwrap();
        writer.release();
        assert_eq!(writer.raw_fd(), -1);
        let e = writer.send(b"x\n".to_vec()).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe);
        // The peer reads the end: no descriptor of this side is open.
        let mut byte = [0u8; 1];
        assert_eq!(theirs.read(&mut byte).unwrap(), 0);
    }

    #[tokio::test]
    async fn a_closed_peer_is_an_error_not_a_signal() {
        let (ours, theirs) = UnixStream::pair().unwrap();
        drop(theirs);
        let mut writer = DirectWriter::new(OwnedFd::from(ours)).unwrap();
        let e = writer.send(b"x\n".to_vec()).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe);
    }
}
