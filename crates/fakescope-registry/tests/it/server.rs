//! A minimal HTTP/1.1 server on 127.0.0.1 for pull tests: fixed replies per path, one
//! connection at a time, stops when dropped (and by itself after a minute at most).

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// What the server answers for one path.
#[derive(Clone)]
pub enum Reply {
    /// 200 with a correct Content-Length.
    Body(Vec<u8>),
    /// An error status with an empty body.
    Status(u16),
    /// 200 announcing `announced` bytes in Content-Length, then sending `body` and closing
    /// (fewer bytes: a truncated transfer; more: a server that lies the other way).
    WrongLength { body: Vec<u8>, announced: u64 },
    /// 200 without Content-Length: the body runs until the connection closes.
    Unsized(Vec<u8>),
}

pub struct Server {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    requests: Arc<Mutex<Vec<String>>>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    /// Serves `routes` (path → reply); other paths get 404.
    pub fn start(routes: &[(&str, Reply)]) -> Server {
        let routes: HashMap<String, Reply> = routes
            .iter()
            .map(|(p, r)| ((*p).to_owned(), r.clone()))
            .collect();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let thread = {
            let (stop, requests) = (stop.clone(), requests.clone());
            std::thread::spawn(move || {
                let deadline = Instant::now() + Duration::from_secs(60);
                while !stop.load(Ordering::Relaxed) && Instant::now() < deadline {
                    match listener.accept() {
                        Ok((stream, _)) => {
                            if let Some(path) = serve(stream, &routes) {
                                requests.lock().unwrap().push(path);
                            }
                        }
                        Err(_) => std::thread::sleep(Duration::from_millis(5)),
                    }
                }
            })
        };
        Server {
            addr,
            stop,
            requests,
            thread: Some(thread),
        }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The paths requested so far.
    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Answers one request; returns its path.
fn serve(mut stream: TcpStream, routes: &HashMap<String, Reply>) -> Option<String> {
    stream.set_nonblocking(false).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && head.len() < 16 * 1024 {
        if stream.read(&mut byte).ok()? == 0 {
            return None;
        }
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head);
    let path = head.split_whitespace().nth(1)?.to_owned();
    let reply = routes.get(&path).cloned().unwrap_or(Reply::Status(404));
    let ok = "HTTP/1.1 200 OK\r\nConnection: close\r\n";
    let (header, body) = match reply {
        Reply::Body(b) => (format!("{ok}Content-Length: {}\r\n\r\n", b.len()), b),
        Reply::Status(s) => (
            format!("HTTP/1.1 {s} Nope\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"),
            vec![],
        ),
        Reply::WrongLength { body, announced } => {
            (format!("{ok}Content-Length: {announced}\r\n\r\n"), body)
        }
        Reply::Unsized(b) => (format!("{ok}\r\n"), b),
    };
    // The client may hang up early (e.g. when it refuses an oversized body): ignore that.
    let _ = stream.write_all(header.as_bytes());
    let _ = stream.write_all(&body);
    let _ = stream.flush();
    let _ = stream.shutdown(std::net::Shutdown::Both);
    Some(path)
}
