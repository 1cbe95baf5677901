//! The pickle virtual machine: a stack, a mark stack and a memo over an object arena.

use std::collections::HashMap;

use super::object::{Id, Obj, Unpickled};
use crate::Limits;
use crate::cursor::Cursor;
use crate::error::{Parsed, Problem};
use crate::limits::check;
use crate::torch_objects::{self, Called};

/// Runs the pickle at the start of `bytes`; returns what it built and how many bytes it used.
pub(crate) fn unpickle(bytes: &[u8], limits: &Limits) -> Parsed<(Unpickled, usize)> {
    let mut machine = Machine {
        cursor: Cursor::at(bytes, 0)?,
        objects: Vec::new(),
        stack: Vec::new(),
        marks: Vec::new(),
        memo: HashMap::new(),
        limits,
    };
    loop {
        let at = machine.cursor.position();
        let op = machine
            .cursor
            .u8()
            .map_err(|_| Problem::invalid(format!("pickle ends at byte {at} without STOP")))?;
        let step = machine
            .step(op)
            .map_err(|p| p.context(&format!("pickle opcode {} at byte {at}", opcode_name(op))))?;
        if let Some(root) = step {
            let used = machine.cursor.position();
            let objects = machine.objects;
            return Ok((Unpickled { objects, root }, used));
        }
    }
}

struct Machine<'a, 'l> {
    cursor: Cursor<'a>,
    objects: Vec<Obj>,
    stack: Vec<Id>,
    /// Stack lengths at each open MARK.
    marks: Vec<usize>,
    memo: HashMap<u64, Id>,
    limits: &'l Limits,
}

impl Machine<'_, '_> {
    /// Executes one opcode; returns the root object at STOP.
    fn step(&mut self, op: u8) -> Parsed<Option<Id>> {
        match op {
            b'.' => return self.pop().map(Some),
            0x80 => {
                let version = self.cursor.u8()?;
                if version > 5 {
                    return Err(Problem::Unsupported(format!("pickle protocol {version}")));
                }
            }
            0x95 => {
                // FRAME: a length hint only.
                self.cursor.u64()?;
            }
            b'(' => {
                check(
                    "pickle stack depth",
                    (self.stack.len() + self.marks.len() + 1) as u64,
                    self.limits.max_pickle_stack as u64,
                )?;
                self.marks.push(self.stack.len());
            }
            b'0' => {
                // POP: a value, or the mark on top of the stack.
                if self.marks.last() == Some(&self.stack.len()) {
                    self.marks.pop();
                } else {
                    self.pop()?;
                }
            }
            b'1' => {
                self.pop_mark()?;
            }
            b'2' => {
                let top = self.top()?;
                self.push(top)?;
            }

            // Constants and numbers.
            b'N' => self.new_obj(Obj::None)?,
            0x88 => self.new_obj(Obj::Bool(true))?,
            0x89 => self.new_obj(Obj::Bool(false))?,
            b'J' => {
                let v = i32::from_le_bytes(self.cursor.array()?);
                self.new_obj(Obj::Int(i64::from(v)))?;
            }
            b'K' => {
                let v = self.cursor.u8()?;
                self.new_obj(Obj::Int(i64::from(v)))?;
            }
            b'M' => {
                let v = self.cursor.u16()?;
                self.new_obj(Obj::Int(i64::from(v)))?;
            }
            0x8a => {
                let n = self.cursor.u8()?;
                let v = self.long(u64::from(n))?;
                self.new_obj(Obj::Int(v))?;
            }
            0x8b => {
                let n = self.cursor.u32()?;
                let v = self.long(u64::from(n))?;
                self.new_obj(Obj::Int(v))?;
            }
            b'I' => {
                let line = self.text_line()?;
                let obj = match line {
                    "00" => Obj::Bool(false),
                    "01" => Obj::Bool(true),
                    _ => Obj::Int(parse_int(line)?),
                };
                self.new_obj(obj)?;
            }
            b'L' => {
                let line = self.text_line()?;
                let v = parse_int(line.strip_suffix('L').unwrap_or(line))?;
                self.new_obj(Obj::Int(v))?;
            }
            b'G' => {
                let v = f64::from_be_bytes(self.cursor.array()?);
                self.new_obj(Obj::Float(v))?;
            }
            b'F' => {
                let line = self.text_line()?;
                let v = line
                    .parse::<f64>()
                    .map_err(|_| Problem::invalid(format!("bad float `{line}`")))?;
                self.new_obj(Obj::Float(v))?;
            }

            // Strings and bytes.
            b'X' => {
                let n = self.cursor.u32()?;
                self.string(u64::from(n))?;
            }
            0x8c => {
                let n = self.cursor.u8()?;
                self.string(u64::from(n))?;
            }
            0x8d => {
                let n = self.cursor.u64()?;
                self.string(n)?;
            }
            b'T' => {
                // BINSTRING (Python 2 `str`): read as text, as torch.load does.
                let n = i32::from_le_bytes(self.cursor.array()?);
                let n = u64::try_from(n).map_err(|_| Problem::invalid("negative length"))?;
                self.string(n)?;
            }
            b'U' => {
                let n = self.cursor.u8()?;
                self.string(u64::from(n))?;
            }
            b'B' => {
                let n = self.cursor.u32()?;
                self.bytes(u64::from(n))?;
            }
            b'C' => {
                let n = self.cursor.u8()?;
                self.bytes(u64::from(n))?;
            }
            0x8e | 0x96 => {
                let n = self.cursor.u64()?;
                self.bytes(n)?;
            }

            // Containers.
            b')' => self.new_obj(Obj::Tuple(Vec::new()))?,
            b't' => {
                let items = self.pop_mark()?;
                self.new_obj(Obj::Tuple(items))?;
            }
            0x85..=0x87 => {
                let n = usize::from(op - 0x84);
                let at = self
                    .stack
                    .len()
                    .checked_sub(n)
                    .filter(|&at| self.marks.last().is_none_or(|&m| m <= at))
                    .ok_or_else(|| Problem::invalid("stack underflow"))?;
                let items = self.stack.split_off(at);
                self.new_obj(Obj::Tuple(items))?;
            }
            b']' => self.new_obj(Obj::List(Vec::new()))?,
            b'l' => {
                let items = self.pop_mark()?;
                self.new_obj(Obj::List(items))?;
            }
            b'a' => {
                let item = self.pop()?;
                self.extend(vec![item])?;
            }
            b'e' => {
                let items = self.pop_mark()?;
                self.extend(items)?;
            }
            b'}' => self.new_obj(Obj::Dict(Vec::new()))?,
            b'd' => {
                let items = self.pop_mark()?;
                let pairs = pairs(items)?;
                self.new_obj(Obj::Dict(pairs))?;
            }
            b's' => {
                let value = self.pop()?;
                let key = self.pop()?;
                self.set_items(vec![(key, value)])?;
            }
            b'u' => {
                let items = self.pop_mark()?;
                self.set_items(pairs(items)?)?;
            }
            0x8f => self.new_obj(Obj::Set(Vec::new()))?,
            0x90 => {
                let items = self.pop_mark()?;
                self.extend(items)?;
            }
            0x91 => {
                let items = self.pop_mark()?;
                self.new_obj(Obj::Set(items))?;
            }

            // Globals, calls, persistent ids: only the allow-listed torch objects.
            b'c' => {
                let module = self.text_line()?.to_owned();
                let name = self.text_line()?;
                let global = torch_objects::resolve(&module, name)?;
                self.new_obj(Obj::Global(global))?;
            }
            0x93 => {
                let name = self.pop()?;
                let module = self.pop()?;
                let (Some(Obj::Str(module)), Some(Obj::Str(name))) =
                    (self.objects.get(module), self.objects.get(name))
                else {
                    return Err(Problem::invalid("STACK_GLOBAL needs two strings"));
                };
                let global = torch_objects::resolve(module, name)?;
                self.new_obj(Obj::Global(global))?;
            }
            b'R' | 0x81 => {
                let args = self.pop()?;
                let callable = self.pop()?;
                self.call(callable, args)?;
            }
            0x92 => {
                let kwargs = self.pop()?;
                if !matches!(self.objects.get(kwargs), Some(Obj::Dict(items)) if items.is_empty()) {
                    return Err(Problem::Unsupported("keyword arguments".into()));
                }
                let args = self.pop()?;
                let callable = self.pop()?;
                self.call(callable, args)?;
            }
            b'b' => {
                // BUILD sets attributes (e.g. an OrderedDict's `_metadata`): not needed, dropped.
                self.pop()?;
                let target = self.top()?;
                match self.objects.get(target) {
                    Some(Obj::Dict(_) | Obj::List(_) | Obj::Tensor(_) | Obj::Storage(_)) => {}
                    other => {
                        return Err(Problem::invalid(format!(
                            "BUILD on a {}",
                            other.map_or("missing object", Obj::kind)
                        )));
                    }
                }
            }
            b'Q' => {
                let pid = self.pop()?;
                let storage = torch_objects::persistent_load(&self.objects, pid)?;
                self.new_obj(Obj::Storage(storage))?;
            }

            // Memo.
            b'p' => {
                let key = parse_int(self.text_line()?)?;
                self.memo_put(u64::try_from(key).map_err(|_| Problem::invalid("bad memo key"))?)?;
            }
            b'q' => {
                let key = self.cursor.u8()?;
                self.memo_put(u64::from(key))?;
            }
            b'r' => {
                let key = self.cursor.u32()?;
                self.memo_put(u64::from(key))?;
            }
            0x94 => self.memo_put(self.memo.len() as u64)?,
            b'g' => {
                let key = parse_int(self.text_line()?)?;
                self.memo_get(u64::try_from(key).map_err(|_| Problem::invalid("bad memo key"))?)?;
            }
            b'h' => {
                let key = self.cursor.u8()?;
                self.memo_get(u64::from(key))?;
            }
            b'j' => {
                let key = self.cursor.u32()?;
                self.memo_get(u64::from(key))?;
            }

            b'P' | b'S' | b'V' | b'i' | b'o' | 0x82..=0x84 | 0x97 | 0x98 => {
                return Err(Problem::Unsupported(
                    "this opcode is not used by torch.save".into(),
                ));
            }
            _ => return Err(Problem::invalid("unknown opcode")),
        }
        Ok(None)
    }

    fn push(&mut self, id: Id) -> Parsed<()> {
        check(
            "pickle stack depth",
            (self.stack.len() + self.marks.len() + 1) as u64,
            self.limits.max_pickle_stack as u64,
        )?;
        self.stack.push(id);
        Ok(())
    }

    /// Adds `obj` to the arena and pushes it.
    fn new_obj(&mut self, obj: Obj) -> Parsed<()> {
        check(
            "number of pickle objects",
            self.objects.len() as u64 + 1,
            self.limits.max_pickle_objects as u64,
        )?;
        self.objects.push(obj);
        self.push(self.objects.len() - 1)
    }

    /// Pops a value (never past the innermost mark).
    fn pop(&mut self) -> Parsed<Id> {
        if self.marks.last() == Some(&self.stack.len()) {
            return Err(Problem::invalid("stack underflow (a MARK is on top)"));
        }
        self.stack
            .pop()
            .ok_or_else(|| Problem::invalid("stack underflow"))
    }

    /// The value on top of the stack.
    fn top(&self) -> Parsed<Id> {
        match self.stack.last() {
            Some(&id) if self.marks.last() != Some(&self.stack.len()) => Ok(id),
            _ => Err(Problem::invalid("stack underflow")),
        }
    }

    /// Pops everything above the innermost mark, and the mark.
    fn pop_mark(&mut self) -> Parsed<Vec<Id>> {
        let at = self
            .marks
            .pop()
            .ok_or_else(|| Problem::invalid("no MARK on the stack"))?;
        if at > self.stack.len() {
            return Err(Problem::invalid("MARK above the stack"));
        }
        Ok(self.stack.split_off(at))
    }

    /// A signed little-endian integer of `n` bytes (at most 8: wider ones are not in state dicts).
    fn long(&mut self, n: u64) -> Parsed<i64> {
        let bytes = self.cursor.take_claimed(n)?;
        if bytes.len() > 8 {
            return Err(Problem::Unsupported(format!(
                "integer of {} bytes (only up to 64 bits)",
                bytes.len()
            )));
        }
        let negative = bytes.last().is_some_and(|&b| b & 0x80 != 0);
        let mut buf = [if negative { 0xff } else { 0 }; 8];
        buf.get_mut(..bytes.len())
            .ok_or_else(|| Problem::invalid("integer too wide"))?
            .copy_from_slice(bytes);
        Ok(i64::from_le_bytes(buf))
    }

    fn string(&mut self, n: u64) -> Parsed<()> {
        let bytes = self.cursor.take_claimed(n)?;
        let text = String::from_utf8_lossy(bytes).into_owned();
        self.new_obj(Obj::Str(text))
    }

    fn bytes(&mut self, n: u64) -> Parsed<()> {
        let bytes = self.cursor.take_claimed(n)?.to_vec();
        self.new_obj(Obj::Bytes(bytes))
    }

    fn text_line(&mut self) -> Parsed<&str> {
        let line = self.cursor.line()?;
        std::str::from_utf8(line).map_err(|_| Problem::invalid("argument is not UTF-8"))
    }

    /// APPEND(S) / ADDITEMS onto the list or set on top of the stack.
    fn extend(&mut self, items: Vec<Id>) -> Parsed<()> {
        let target = self.top()?;
        match self.objects.get_mut(target) {
            Some(Obj::List(list) | Obj::Set(list)) => {
                list.extend(items);
                Ok(())
            }
            other => Err(Problem::invalid(format!(
                "cannot append to a {}",
                other.map_or("missing object", |o| o.kind())
            ))),
        }
    }

    /// SETITEM(S) onto the dict on top of the stack.
    fn set_items(&mut self, items: Vec<(Id, Id)>) -> Parsed<()> {
        let target = self.top()?;
        match self.objects.get_mut(target) {
            Some(Obj::Dict(dict)) => {
                dict.extend(items);
                Ok(())
            }
            other => Err(Problem::invalid(format!(
                "cannot set items on a {}",
                other.map_or("missing object", |o| o.kind())
            ))),
        }
    }

    fn call(&mut self, callable: Id, args: Id) -> Parsed<()> {
        match torch_objects::call(&self.objects, callable, args, self.limits)? {
            Called::New(obj) => self.new_obj(obj),
            Called::Existing(id) => self.push(id),
        }
    }

    fn memo_put(&mut self, key: u64) -> Parsed<()> {
        let top = self.top()?;
        if !self.memo.contains_key(&key) {
            check(
                "number of pickle memo entries",
                self.memo.len() as u64 + 1,
                self.limits.max_pickle_memo as u64,
            )?;
        }
        self.memo.insert(key, top);
        Ok(())
    }

    fn memo_get(&mut self, key: u64) -> Parsed<()> {
        let id = *self
            .memo
            .get(&key)
            .ok_or_else(|| Problem::invalid(format!("memo key {key} was never stored")))?;
        self.push(id)
    }
}

/// Pairs up `[k1, v1, k2, v2, ...]`.
fn pairs(items: Vec<Id>) -> Parsed<Vec<(Id, Id)>> {
    if !items.len().is_multiple_of(2) {
        return Err(Problem::invalid("odd number of items for a dict"));
    }
    let (keys, values): (Vec<_>, Vec<_>) = items.iter().enumerate().partition(|(i, _)| i % 2 == 0);
    Ok(keys
        .into_iter()
        .zip(values)
        .map(|((_, &k), (_, &v))| (k, v))
        .collect())
}

fn parse_int(text: &str) -> Parsed<i64> {
    text.trim()
        .parse()
        .map_err(|_| Problem::invalid(format!("bad integer `{text}`")))
}

/// The pickletools name of an opcode, for error messages.
fn opcode_name(op: u8) -> String {
    let name = match op {
        b'.' => "STOP",
        0x80 => "PROTO",
        0x95 => "FRAME",
        b'(' => "MARK",
        b'0' => "POP",
        b'1' => "POP_MARK",
        b'2' => "DUP",
        b'N' => "NONE",
        0x88 => "NEWTRUE",
        0x89 => "NEWFALSE",
        b'J' => "BININT",
        b'K' => "BININT1",
        b'M' => "BININT2",
        0x8a => "LONG1",
        0x8b => "LONG4",
        b'I' => "INT",
        b'L' => "LONG",
        b'G' => "BINFLOAT",
        b'F' => "FLOAT",
        b'X' => "BINUNICODE",
        0x8c => "SHORT_BINUNICODE",
        0x8d => "BINUNICODE8",
        b'T' => "BINSTRING",
        b'U' => "SHORT_BINSTRING",
        b'B' => "BINBYTES",
        b'C' => "SHORT_BINBYTES",
        0x8e => "BINBYTES8",
        0x96 => "BYTEARRAY8",
        b')' => "EMPTY_TUPLE",
        b't' => "TUPLE",
        0x85 => "TUPLE1",
        0x86 => "TUPLE2",
        0x87 => "TUPLE3",
        b']' => "EMPTY_LIST",
        b'l' => "LIST",
        b'a' => "APPEND",
        b'e' => "APPENDS",
        b'}' => "EMPTY_DICT",
        b'd' => "DICT",
        b's' => "SETITEM",
        b'u' => "SETITEMS",
        0x8f => "EMPTY_SET",
        0x90 => "ADDITEMS",
        0x91 => "FROZENSET",
        b'c' => "GLOBAL",
        0x93 => "STACK_GLOBAL",
        b'R' => "REDUCE",
        0x81 => "NEWOBJ",
        0x92 => "NEWOBJ_EX",
        b'b' => "BUILD",
        b'Q' => "BINPERSID",
        b'P' => "PERSID",
        b'p' => "PUT",
        b'q' => "BINPUT",
        b'r' => "LONG_BINPUT",
        0x94 => "MEMOIZE",
        b'g' => "GET",
        b'h' => "BINGET",
        b'j' => "LONG_BINGET",
        b'S' => "STRING",
        b'V' => "UNICODE",
        b'i' => "INST",
        b'o' => "OBJ",
        0x82 => "EXT1",
        0x83 => "EXT2",
        0x84 => "EXT4",
        0x97 => "NEXT_BUFFER",
        0x98 => "READONLY_BUFFER",
        _ => return format!("0x{op:02x}"),
    };
    name.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs `bytes` with the default limits.
    fn run(bytes: &[u8]) -> Parsed<(Unpickled, usize)> {
        unpickle(bytes, &Limits::default())
    }

    fn root(bytes: &[u8]) -> Obj {
        let (u, used) = run(bytes).unwrap();
        assert_eq!(used, bytes.len());
        u.root().unwrap().clone()
    }

    #[test]
    fn integers_of_every_encoding() {
        assert_eq!(root(b"\x80\x02J\xff\xff\xff\xff."), Obj::Int(-1));
        assert_eq!(root(b"\x80\x02M\xe9\x03."), Obj::Int(1001));
        assert_eq!(root(b"\x80\x02\x8a\x02\x00\xff."), Obj::Int(-256));
        assert_eq!(root(b"\x80\x02\x8a\x00."), Obj::Int(0));
        assert_eq!(root(b"I42\n."), Obj::Int(42));
        assert_eq!(root(b"I01\n."), Obj::Bool(true));
        assert_eq!(root(b"L-7L\n."), Obj::Int(-7));
        assert!(matches!(
            run(b"\x80\x02\x8a\x09\x01\x02\x03\x04\x05\x06\x07\x08\x09."),
            Err(Problem::Unsupported(_))
        ));
    }

    #[test]
    fn floats_are_big_endian_or_text() {
        assert_eq!(root(b"G\x3f\xf8\x00\x00\x00\x00\x00\x00."), Obj::Float(1.5));
        assert_eq!(root(b"F-0.25\n."), Obj::Float(-0.25));
    }

    #[test]
    fn memo_shares_objects() {
        // d = {}; l = [d, d] with d memoized once, then mutated after being shared.
        let (u, _) = run(b"\x80\x02]q\x00(}q\x01h\x01eh\x01X\x01\0\0\0kK\x07s0.").unwrap();
        let Some(Obj::List(items)) = u.root() else {
            panic!()
        };
        assert_eq!(items.len(), 2);
        assert_eq!(items[0], items[1]);
        assert!(matches!(u.get(items[0]), Some(Obj::Dict(d)) if d.len() == 1));
    }

    #[test]
    fn pop_removes_a_mark_when_nothing_is_above_it() {
        assert_eq!(root(b"\x80\x02N(0."), Obj::None);
        assert_eq!(root(b"\x80\x02N(K\x011."), Obj::None);
    }

    #[test]
    fn sets_and_frozensets() {
        let (u, _) = run(b"\x80\x04\x8f(K\x01K\x02\x90.").unwrap();
        assert!(matches!(u.root(), Some(Obj::Set(items)) if items.len() == 2));
        let (u, _) = run(b"\x80\x04(K\x01\x91.").unwrap();
        assert!(matches!(u.root(), Some(Obj::Set(items)) if items.len() == 1));
    }

    #[test]
    fn text_memo_opcodes_and_self_reference() {
        // l = []; l.append(l), protocol 0.
        let (u, _) = run(b"(lp0\ng0\na.").unwrap();
        assert_eq!(u.root(), Some(&Obj::List(vec![u.root])));
    }

    #[test]
    fn errors_say_which_opcode_and_where() {
        let err = run(b"\x80\x02N\x00.").unwrap_err();
        assert_eq!(
            err,
            Problem::Invalid("pickle opcode 0x00 at byte 3: unknown opcode".into())
        );
        let err = run(b"\x80\x02a.").unwrap_err();
        assert!(format!("{err:?}").contains("APPEND at byte 2"), "{err:?}");
        let err = run(b"\x80\x02cbuiltins\nexec\n.").unwrap_err();
        assert_eq!(err, Problem::RejectedGlobal("builtins.exec".into()));
        let err = run(b"\x80\x02N").unwrap_err();
        assert!(format!("{err:?}").contains("without STOP"), "{err:?}");
    }

    #[test]
    fn keyword_arguments_are_refused() {
        let err = run(b"\x80\x04ccollections\nOrderedDict\n)}K\x01K\x02s\x92.").unwrap_err();
        assert!(format!("{err:?}").contains("keyword"), "{err:?}");
        // With an empty kwargs dict, NEWOBJ_EX is a plain call.
        assert_eq!(
            root(b"\x80\x04ccollections\nOrderedDict\n)}\x92."),
            Obj::Dict(vec![])
        );
    }
}
