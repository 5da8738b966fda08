//! Words written straight into a `String`, without `core::fmt`: the
//! exports word every event of a trace (a million sentences for a million
//! events), and `write!` with its `Formatter`, padding checks and dynamic
//! calls cost more there than the words themselves.
//!
//! `put!(out; "fd ", fd, " now refers to ", what)` appends each piece in
//! order, as `write!(out, "fd {fd} now refers to {what}")` would: text as
//! it is, integers in decimal (as `Display` writes them).

/// A piece of text [`put!`] can append.
pub(crate) trait Put {
    /// Appends `self` to `out`.
    fn put(self, out: &mut String);
}

impl Put for &str {
    #[inline]
    fn put(self, out: &mut String) {
        out.push_str(self);
    }
}

impl Put for char {
    #[inline]
    fn put(self, out: &mut String) {
        out.push(self);
    }
}

impl<T: Put + Copy> Put for &T {
    #[inline]
    fn put(self, out: &mut String) {
        (*self).put(out);
    }
}

impl Put for u64 {
    #[inline]
    fn put(self, out: &mut String) {
        // SAFETY: only ASCII digits are appended: the String stays UTF-8.
        digits_into(unsafe { out.as_mut_vec() }, self);
    }
}

impl Put for i64 {
    #[inline]
    fn put(self, out: &mut String) {
        if self < 0 {
            out.push('-');
        }
        self.unsigned_abs().put(out);
    }
}

impl Put for i32 {
    #[inline]
    fn put(self, out: &mut String) {
        i64::from(self).put(out);
    }
}

impl Put for u32 {
    #[inline]
    fn put(self, out: &mut String) {
        u64::from(self).put(out);
    }
}

impl Put for usize {
    #[inline]
    fn put(self, out: &mut String) {
        (self as u64).put(out);
    }
}

impl Put for crate::trace::Sig {
    fn put(self, out: &mut String) {
        out.push_str(&self.name());
    }
}

/// Two decimal digits for every value below 100, for [`digits_into`].
const PAIRS: &[u8; 200] = b"0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";

/// Appends `n` in decimal to `buf`, in place, two digits at a time from
/// the last (digits of [`PAIRS`]): copying a
/// few digits from a scratch array through memmove cost more than making
/// them (it was the export writers' hottest call).
#[inline]
pub(crate) fn digits_into(buf: &mut Vec<u8>, mut n: u64) {
    let len = n.checked_ilog10().map_or(1, |l| l as usize + 1);
    buf.reserve(len);
    let start = buf.len();
    let spare = &mut buf.spare_capacity_mut()[..len];
    // Two digits at a time, from the last.
    let mut at = len;
    while n >= 100 {
        let pair = (n % 100) as usize * 2;
        n /= 100;
        at -= 2;
        spare[at].write(PAIRS[pair]);
        spare[at + 1].write(PAIRS[pair + 1]);
    }
    if n >= 10 {
        let pair = n as usize * 2;
        spare[0].write(PAIRS[pair]);
        spare[1].write(PAIRS[pair + 1]);
    } else {
        spare[0].write(b'0' + n as u8);
    }
    // SAFETY: the `len` bytes after the old length were all written: pairs
    // from the end, then the one or two leading digits.
    unsafe { buf.set_len(start + len) };
}

/// Appends every piece to the `String` before the `;`, in order (see the
/// module doc).
macro_rules! put {
    ($out:expr; $($piece:expr),+ $(,)?) => {{
        let out: &mut String = $out;
        $( $crate::words::put::Put::put($piece, out); )+
    }};
}
pub(crate) use put;

#[cfg(test)]
mod tests {
    #[test]
    fn integers_are_written_as_display_writes_them() {
        let mut values: Vec<i64> = (-1000..1000).collect();
        values.extend([i64::MIN, i64::MAX, i64::from(i32::MIN), 1 << 40, 99_999]);
        for v in values {
            let mut t = String::new();
            put!(&mut t; v, " ", v as i32, " ", v as u32, " ", v.unsigned_abs());
            assert_eq!(
                t,
                format!("{v} {} {} {}", v as i32, v as u32, v.unsigned_abs())
            );
        }
        let mut t = String::new();
        put!(&mut t; u64::MAX, 'x', usize::MAX);
        assert_eq!(t, format!("{}x{}", u64::MAX, usize::MAX));
    }
}
