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
        let mut digits = [0u8; 20];
        out.push_str(decimal(self, &mut digits));
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

/// Two decimal digits for every value below 100, for [`decimal`].
const PAIRS: &[u8; 200] = b"0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";

/// `n` in decimal, written at the end of `digits` (two digits at a time).
#[inline]
pub(crate) fn decimal(mut n: u64, digits: &mut [u8; 20]) -> &str {
    let mut at = digits.len();
    while n >= 100 {
        let pair = (n % 100) as usize * 2;
        n /= 100;
        at -= 2;
        digits[at..at + 2].copy_from_slice(&PAIRS[pair..pair + 2]);
    }
    if n >= 10 {
        let pair = n as usize * 2;
        at -= 2;
        digits[at..at + 2].copy_from_slice(&PAIRS[pair..pair + 2]);
    } else {
        at -= 1;
        digits[at] = b'0' + n as u8;
    }
    // Only ASCII digits were written.
    std::str::from_utf8(&digits[at..]).unwrap_or_default()
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
