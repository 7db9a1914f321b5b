//! A minimal server-sent-events client over a raw socket: it sends `GET path`, reads the head,
//! undoes HTTP/1.1 chunking and splits the stream into events and comments, so tests see
//! exactly what a server sent.

use std::{
    io::{ErrorKind, Read, Write},
    net::TcpStream,
    time::{Duration, Instant},
};

/// One event: its `id:` and `data:` lines (several `data:` lines joined with `\n`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Event {
    pub id: Option<String>,
    pub data: String,
    pub retry: Option<u64>,
}

/// What the stream gave next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    Event(Event),
    /// A `:` line (keep-alive).
    Comment(String),
}

/// An open event stream.
#[derive(Debug)]
pub struct EventStream {
    socket: TcpStream,
    pub status: u16,
    pub headers: String,
    /// Bytes of the body not yet split into lines.
    body: Vec<u8>,
    /// Bytes read from the socket not yet de-chunked.
    raw: Vec<u8>,
    chunked: bool,
    ended: bool,
}

impl EventStream {
    /// Opens `GET path` on 127.0.0.1:`port` with extra headers, and reads the answer's head.
    pub fn open(port: u16, path: &str, headers: &[(&str, &str)]) -> EventStream {
        let socket = TcpStream::connect(("127.0.0.1", port)).unwrap();
        let extra: String = headers
            .iter()
            .map(|(name, value)| format!("{name}: {value}\r\n"))
            .collect();
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n{extra}\r\n"
        );
        (&socket).write_all(request.as_bytes()).unwrap();
        let mut stream = EventStream {
            socket,
            status: 0,
            headers: String::new(),
            body: Vec::new(),
            raw: Vec::new(),
            chunked: false,
            ended: false,
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        let head_end = loop {
            if let Some(at) = find(&stream.raw, b"\r\n\r\n") {
                break at;
            }
            assert!(stream.fill(deadline), "no answer head within 10 s");
        };
        let head = String::from_utf8(stream.raw[..head_end].to_vec()).unwrap();
        stream.raw.drain(..head_end + 4);
        stream.status = head
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        stream.chunked = head
            .to_ascii_lowercase()
            .contains("transfer-encoding: chunked");
        stream.headers = head;
        stream
    }

    /// The next event, skipping comments; `None` when none came within `within` or the stream
    /// ended.
    pub fn next_event(&mut self, within: Duration) -> Option<Event> {
        let deadline = Instant::now() + within;
        loop {
            match self.next_item(deadline)? {
                Item::Event(event) => return Some(event),
                Item::Comment(_) => continue,
            }
        }
    }

    /// The next event or comment before `deadline`.
    pub fn next_item(&mut self, deadline: Instant) -> Option<Item> {
        let mut event = Event::default();
        let mut in_event = false;
        loop {
            let line = self.next_line(deadline)?;
            if line.is_empty() {
                if in_event {
                    return Some(Item::Event(event));
                }
                continue;
            }
            if let Some(comment) = line.strip_prefix(':') {
                if !in_event {
                    return Some(Item::Comment(comment.trim().to_owned()));
                }
                continue;
            }
            in_event = true;
            let (field, value) = line.split_once(':').unwrap_or((&line, ""));
            let value = value.strip_prefix(' ').unwrap_or(value);
            match field {
                "id" => event.id = Some(value.to_owned()),
                "data" => {
                    if !event.data.is_empty() {
                        event.data.push('\n');
                    }
                    event.data.push_str(value);
                }
                "retry" => event.retry = value.parse().ok(),
                _ => {}
            }
        }
    }

    /// Whether the server closed the stream before `deadline` (anything it sent first is
    /// discarded).
    pub fn closed_within(&mut self, within: Duration) -> bool {
        let deadline = Instant::now() + within;
        while !self.ended {
            if !self.fill(deadline) && !self.ended {
                return false;
            }
            self.raw.clear();
        }
        true
    }

    fn next_line(&mut self, deadline: Instant) -> Option<String> {
        loop {
            if let Some(at) = self.body.iter().position(|&b| b == b'\n') {
                let mut line: Vec<u8> = self.body.drain(..=at).collect();
                line.pop();
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                return Some(String::from_utf8(line).unwrap());
            }
            if self.ended {
                return None;
            }
            self.dechunk();
            if self.body.contains(&b'\n') {
                continue;
            }
            if !self.fill(deadline) {
                return None;
            }
        }
    }

    /// Moves whole chunks from `raw` to `body`.
    fn dechunk(&mut self) {
        if !self.chunked {
            self.body.append(&mut self.raw);
            return;
        }
        while let Some(line_end) = find(&self.raw, b"\r\n") {
            let size_text = String::from_utf8_lossy(&self.raw[..line_end]).to_string();
            let size = usize::from_str_radix(size_text.split(';').next().unwrap().trim(), 16)
                .unwrap_or_else(|_| panic!("bad chunk size {size_text:?}"));
            if size == 0 {
                self.ended = true;
                self.raw.clear();
                return;
            }
            let start = line_end + 2;
            if self.raw.len() < start + size + 2 {
                return;
            }
            self.body.extend_from_slice(&self.raw[start..start + size]);
            self.raw.drain(..start + size + 2);
        }
    }

    /// Reads more bytes before `deadline`; false on timeout or end of stream.
    fn fill(&mut self, deadline: Instant) -> bool {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return false;
        }
        self.socket.set_read_timeout(Some(left)).unwrap();
        let mut buf = [0u8; 8192];
        match self.socket.read(&mut buf) {
            Ok(0) => {
                self.ended = true;
                false
            }
            Ok(n) => {
                self.raw.extend_from_slice(&buf[..n]);
                true
            }
            Err(err) if matches!(err.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => false,
            Err(err) if err.kind() == ErrorKind::ConnectionReset => {
                self.ended = true;
                false
            }
            Err(err) => panic!("reading the event stream: {err}"),
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

/// A client that asks for `path` and never reads the answer, with a receive buffer as small as
/// the kernel allows, so that the server's unread data soon waits on a shut window.
pub fn stalled_client(port: u16, path: &str) -> TcpStream {
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    socket.set_recv_buffer_size(1024).unwrap();
    let address: std::net::SocketAddr = ([127, 0, 0, 1], port).into();
    socket.connect(&address.into()).unwrap();
    let stream: TcpStream = socket.into();
    let request = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    (&stream).write_all(request.as_bytes()).unwrap();
    stream
}
