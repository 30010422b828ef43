//! Node-style text for socket errors (`connect ENOENT /path`), because the
//! original client's messages carried Node's wording after their prefix.

pub fn describe(e: &std::io::Error, syscall: &str, path: Option<&str>) -> String {
    let Some(code) = e.raw_os_error().and_then(errno_name) else {
        return e.to_string();
    };
    match path {
        Some(p) => format!("{syscall} {code} {p}"),
        None => format!("{syscall} {code}"),
    }
}

fn errno_name(errno: i32) -> Option<&'static str> {
    Some(match errno {
        libc::ENOENT => "ENOENT",
        libc::ECONNREFUSED => "ECONNREFUSED",
        libc::EACCES => "EACCES",
        libc::EPERM => "EPERM",
        libc::ENOTSOCK => "ENOTSOCK",
        libc::ENOTDIR => "ENOTDIR",
        libc::EPIPE => "EPIPE",
        libc::ECONNRESET => "ECONNRESET",
        libc::EAGAIN => "EAGAIN",
        libc::ENAMETOOLONG => "ENAMETOOLONG",
        libc::EPROTOTYPE => "EPROTOTYPE",
        libc::EMFILE => "EMFILE",
        libc::ETIMEDOUT => "ETIMEDOUT",
        libc::EINVAL => "EINVAL",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_style_text() {
        let e = std::io::Error::from_raw_os_error(libc::ENOENT);
        assert_eq!(
            describe(&e, "connect", Some("/tmp/x.sock")),
            "connect ENOENT /tmp/x.sock"
        );
        let other = std::io::Error::other("boom");
        assert_eq!(describe(&other, "write", None), "boom");
    }
}
