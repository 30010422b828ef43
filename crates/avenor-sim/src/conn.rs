//! One control connection: NDJSON framing (§1.2) with the 4 MiB request-line cap,
//! sequential or concurrent dispatch (§1.4), and disconnect cleanup (§1.5).

use std::sync::Arc;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::net::UnixStream;

use crate::cli::Dispatch;
use crate::conn_state::Conn;
use crate::methods;
use crate::rpc::{self, Decoded};
use crate::sup::Sup;
use crate::writer::ConnWriter;

/// Longest accepted request line, excluding its `\n` (Go's bufio.Scanner max token).
pub const MAX_LINE: usize = 4 * 1024 * 1024;

pub async fn serve(stream: UnixStream, sup: Arc<Sup>) {
    let id = sup.conn_opened();
    let (rd, wr) = stream.into_split();
    let conn = Arc::new(Conn::new(id, ConnWriter::new(wr)));
    let mut reader = BufReader::with_capacity(64 * 1024, rd);
    let mut line: Vec<u8> = Vec::new();
    loop {
        let (complete, used, eof) = match reader.fill_buf().await {
            Err(_) => break,
            Ok([]) => (false, 0, true),
            Ok(buf) => match buf.iter().position(|&b| b == b'\n') {
                Some(i) => {
                    line.extend_from_slice(&buf[..i]);
                    (true, i + 1, false)
                }
                None => {
                    line.extend_from_slice(buf);
                    (false, buf.len(), false)
                }
            },
        };
        reader.consume(used);
        if line.len() >= MAX_LINE {
            // Over-long line: the read loop ends and the connection closes silently.
            conn.writer.abort();
            break;
        }
        if eof {
            // A final unterminated line is still processed.
            if !line.is_empty() {
                handle_line(&sup, &conn, std::mem::take(&mut line)).await;
            }
            break;
        }
        if !complete {
            continue;
        }
        let req = std::mem::take(&mut line);
        match sup.cfg.dispatch {
            Dispatch::Sequential => handle_line(&sup, &conn, req).await,
            Dispatch::Concurrent => {
                let (sup, conn) = (sup.clone(), conn.clone());
                tokio::spawn(async move { handle_line(&sup, &conn, req).await });
            }
        }
    }
    // Subscriptions end with the connection; ownership is released. Runtimes live on.
    conn.drop_subscriptions(&sup.hub);
    sup.conn_closed(id);
}

async fn handle_line(sup: &Arc<Sup>, conn: &Arc<Conn>, mut line: Vec<u8>) {
    // Only `\n` terminates a line; one trailing `\r` is dropped.
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    match rpc::decode(&line) {
        Decoded::Reject { id, error } => {
            if let Some(id) = id {
                let _ = conn
                    .writer
                    .write(rpc::error_line(&id, &error).as_bytes())
                    .await;
            }
        }
        Decoded::Call(req) => {
            let res = methods::dispatch(sup, conn, &req.method, &req.params).await;
            if let Some(id) = &req.id {
                let out = match &res {
                    Ok(v) => rpc::success_line(id, v),
                    Err(e) => rpc::error_line(id, e),
                };
                let _ = conn.writer.write(out.as_bytes()).await;
            }
            if req.method == "shutdown" && res.is_ok() {
                sup.request_exit("shutdown");
            }
        }
    }
}
