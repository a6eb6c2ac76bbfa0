package plan

// The loader's walk of a yaml.Node tree against the model's Go types. It is
// driven by the same struct tags the JSON Schema is generated from: yaml
// tags name the keys (a key without omitempty is required), jsonschema tags
// give lengths, ranges and uniqueness, and the enum types list their
// spellings. So the loader and the schema agree by construction, and a
// field added to the model is loaded and described without further code.
// The walk reports every problem with its place and keeps going.

import (
	"errors"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// fieldInfo is what the walk knows about one key of a struct.
type fieldInfo struct {
	key      string
	posKey   uint16 // key's id in Positions
	index    int    // in the Go struct
	ord      int    // among the struct's keys
	bit      uint64
	required bool
	// Rules from the jsonschema tag. For a list they apply to its items,
	// except unique, which applies to the list.
	enum           []string // the enum type's spellings
	intEnum        []int64
	minLen, maxLen int // -1: no limit; counted in characters
	min, max       float64
	hasMin, hasMax bool
	unique         bool
	// check is a further rule for each string value (email syntax, globs);
	// it returns what is wrong, or "".
	check func(string) string
	// runes is which characters a string value may not hold, and
	// lookalike, when set, warns about one that imitates another spelling
	// (unicode.go).
	runes     runeRule
	lookalike lookalikeCheck
	// intern shares the strings of values that repeat across users (role
	// and organization names), so 100,000 users do not hold 100,000
	// copies of "Portal Users".
	intern bool
}

// structInfo is what the walk knows about one struct type.
type structInfo struct {
	where   string // "in a user": where an unknown key was found
	fields  []fieldInfo
	keys    []string // allowed keys, in declaration order
	byKey   map[string]*fieldInfo
	atIndex int // the Positions field, or -1
}

func (si *structInfo) bit(key string) uint64 { return si.byKey[key].bit }

var (
	positionsType = reflect.TypeFor[Positions]()
	userSpecType  = reflect.TypeFor[UserSpec]()
	roleSpecType  = reflect.TypeFor[RoleSpec]()
	enumType      = reflect.TypeFor[enum]()
)

// whereOf names each struct of the model in messages.
var whereOf = map[reflect.Type]string{
	reflect.TypeFor[Desired]():  "at the top level",
	reflect.TypeFor[Settings](): "in settings",
	reflect.TypeFor[Scope]():    "in settings.scope",
	roleSpecType:                "in a role",
	userSpecType:                "in a user",
}

// stringChecks are the rules a tag cannot say, by Go type and yaml key.
var stringChecks = map[string]func(string) string{
	"UserSpec.email":      checkEmail,
	"Scope.email_domains": checkDomain,
	"Settings.protected":  checkGlob,
}

// interned lists the keys whose values repeat across entries.
var interned = map[string]bool{
	"UserSpec.organization": true,
	"UserSpec.roles":        true,
	"Scope.organizations":   true,
}

var structInfos = sync.OnceValue(func() map[reflect.Type]*structInfo {
	m := map[reflect.Type]*structInfo{}
	var build func(t reflect.Type)
	build = func(t reflect.Type) {
		if t.Kind() != reflect.Struct || m[t] != nil {
			return
		}
		si := &structInfo{where: whereOf[t], byKey: map[string]*fieldInfo{}, atIndex: -1}
		m[t] = si
		for i := range t.NumField() {
			sf := t.Field(i)
			if sf.Type == positionsType {
				si.atIndex = i
				continue
			}
			name, opts, _ := strings.Cut(sf.Tag.Get("yaml"), ",")
			if name == "-" || !sf.IsExported() {
				continue
			}
			if len(si.fields) == maxFields {
				panic("plan: too many fields in " + t.Name())
			}
			fi := fieldInfo{key: name, posKey: posKey(name), index: i, ord: len(si.fields), bit: 1 << len(si.fields), minLen: -1, maxLen: -1,
				required: !strings.Contains(opts, "omitempty"),
				check:    stringChecks[t.Name()+"."+name], intern: interned[t.Name()+"."+name],
				runes: runeRules[t.Name()+"."+name], lookalike: lookalikeRules[t.Name()+"."+name]}
			parseSchemaTag(&fi, sf.Tag.Get("jsonschema"))
			et := sf.Type
			for et.Kind() == reflect.Pointer || et.Kind() == reflect.Slice {
				et = et.Elem()
			}
			if et.Implements(enumType) {
				fi.enum = reflect.Zero(et).Interface().(enum).values()
			}
			si.fields = append(si.fields, fi)
			build(et)
		}
		for i := range si.fields {
			si.keys = append(si.keys, si.fields[i].key)
			si.byKey[si.fields[i].key] = &si.fields[i]
		}
	}
	build(reflect.TypeFor[Desired]())
	return m
})

// parseSchemaTag reads the jsonschema tag keywords the loader enforces.
// The tags of this package never need escaped commas.
func parseSchemaTag(fi *fieldInfo, tag string) {
	for kv := range strings.SplitSeq(tag, ",") {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "minLength":
			fi.minLen, _ = strconv.Atoi(v)
		case "maxLength":
			fi.maxLen, _ = strconv.Atoi(v)
		case "minimum":
			fi.min, _ = strconv.ParseFloat(v, 64)
			fi.hasMin = true
		case "maximum":
			fi.max, _ = strconv.ParseFloat(v, 64)
			fi.hasMax = true
		case "uniqueItems":
			fi.unique = v == "true"
		case "enum":
			n, err := strconv.ParseInt(v, 10, 64)
			if err == nil {
				fi.intEnum = append(fi.intEnum, n)
			}
		}
	}
}

// maxFields bounds the keys of one struct of the model, so a keySet needs
// no allocation.
const maxFields = 16

// keySet records which keys of one mapping were given, which of them had
// a bad value, and where each key stood.
type keySet struct {
	si      *structInfo
	present uint64
	bad     uint64
	keyPos  [maxFields]Pos // by field, valid where present
}

func (ks *keySet) has(key string) bool { return ks.present&ks.si.bit(key) != 0 }

// ok reports whether key was given with a valid value.
func (ks *keySet) ok(key string) bool {
	b := ks.si.bit(key)
	return ks.present&b != 0 && ks.bad&b == 0
}

func (ks *keySet) pos(key string) Pos { return ks.keyPos[ks.si.byKey[key].ord] }

// decoder walks one document. With the split loader it walks a skeleton
// of the document and then the list items chunk by chunk; off is then the
// line offset of the chunk being walked.
type decoder struct {
	sink   *diagSink
	off    int
	intern map[string]string
	// lazy marks the sequence nodes whose items are parsed chunk by chunk.
	lazy   map[*yaml.Node]*lazySeq
	src    []byte
	abort  bool // a chunk did not parse: the caller falls back to a whole parse
	fast   fastParser
	noFast bool // parse every chunk with yaml.v3

	// Cross-entry checks.
	emails map[string]firstEmail
	roles  map[[2]string]Pos
}

type firstEmail struct {
	pos   Pos
	email string
}

func newDecoder(sink *diagSink, src []byte) *decoder {
	return &decoder{sink: sink, src: src, intern: map[string]string{},
		emails: map[string]firstEmail{}, roles: map[[2]string]Pos{}}
}

func (d *decoder) pos(n *yaml.Node) Pos { return Pos{Line: n.Line + d.off, Col: n.Column} }

func (d *decoder) errAt(n *yaml.Node, format string, args ...any) {
	d.sink.add(d.pos(n), format, args...)
}

func (d *decoder) internStr(s string) string {
	if v, ok := d.intern[s]; ok {
		return v
	}
	d.intern[s] = s
	return s
}

func label(key string, idx int) string {
	if idx < 0 {
		return key
	}
	return key + "[" + strconv.Itoa(idx) + "]"
}

// plain reports an alias or anchor. Anchors and aliases are refused
// outright: a desired-state file has no use for them, and without them an
// alias bomb ("billion laughs") cannot expand, whatever its shape. The walk
// never follows an alias.
func (d *decoder) plain(n *yaml.Node) bool {
	if n.Kind == yaml.AliasNode {
		d.errAt(n, "aliases (*%s) are not supported: write the value out in full", n.Value)
		return false
	}
	if n.Anchor != "" {
		d.errAt(n, "anchors (&%s) are not supported: write each value out in full", n.Anchor)
	}
	return true
}

// skip walks a value the model has no place for (under an unknown key, or
// of the wrong type) only to report the anchors and aliases in it.
func (d *decoder) skip(n *yaml.Node) {
	if !d.plain(n) {
		return
	}
	for _, c := range n.Content {
		d.skip(c)
	}
}

// describe says what a node is, for "found ..." in messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	case yaml.DocumentNode:
		return "a document"
	}
	switch n.ShortTag() {
	case "!!null":
		return "nothing (null)"
	case "!!str":
		return "the string " + quote(n.Value)
	case "!!int", "!!float":
		return "the number " + clip(n.Value)
	case "!!bool":
		return clip(n.Value)
	case "!!timestamp":
		return "the date " + clip(n.Value)
	}
	return "a value tagged " + quote(n.ShortTag())
}

// expected says what a field's type wants, for "must be ..." in messages.
func expected(t reflect.Type, fi *fieldInfo) string {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		if fi.enum != nil {
			return list(fi.enum)
		}
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int32, reflect.Int64:
		if len(fi.intEnum) == 1 {
			return strconv.FormatInt(fi.intEnum[0], 10)
		}
		return "a whole number"
	case reflect.Float64:
		return "a number"
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Struct {
			return "a list of mappings"
		}
		return "a list"
	case reflect.Struct:
		return "a mapping"
	}
	return t.String()
}

func (d *decoder) typeErr(n *yaml.Node, t reflect.Type, fi *fieldInfo, lbl string) {
	hint := ""
	short := n.Kind == yaml.ScalarNode && len(n.Value) <= 40 && !strings.ContainsAny(n.Value, "\n\r")
	switch {
	case n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" && t.Kind() == reflect.Slice:
		hint = " (write [] for an empty list, or leave the key out)"
	case short && t.Kind() == reflect.Slice && t.Elem().Kind() != reflect.Struct:
		hint = " (write " + lbl + ": [" + n.Value + "], or one \"- item\" per line)"
	case short && t.Kind() == reflect.String && fi.enum == nil && n.ShortTag() != "!!null":
		hint = " (quote it to make it a string: " + strconv.Quote(n.Value) + ")"
	}
	d.errAt(n, "%s must be %s; found %s%s", lbl, expected(t, fi), describe(n), hint)
	d.skip(n)
}

// value decodes n into v, which is the field fi (or, with idx >= 0, item
// idx of it). It reports whether the value was valid.
func (d *decoder) value(n *yaml.Node, v reflect.Value, fi *fieldInfo, idx int) bool {
	if !d.plain(n) {
		return false
	}
	switch v.Kind() {
	case reflect.Pointer:
		nv := reflect.New(v.Type().Elem())
		if !d.value(n, nv.Elem(), fi, idx) {
			return false
		}
		v.Set(nv)
		return true
	case reflect.Slice:
		return d.slice(n, v, fi)
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			d.typeErr(n, v.Type(), fi, label(fi.key, idx))
			return false
		}
		d.structure(n, v)
		return true
	}
	if n.Kind != yaml.ScalarNode {
		d.typeErr(n, v.Type(), fi, label(fi.key, idx))
		return false
	}
	tag := n.ShortTag()
	switch v.Kind() {
	case reflect.String:
		s, ok := d.str(n, fi, idx)
		if ok {
			v.SetString(s)
		}
		return ok
	case reflect.Bool:
		if tag != "!!bool" {
			break
		}
		switch n.Value {
		case "true", "True", "TRUE":
			v.SetBool(true)
			return true
		case "false", "False", "FALSE":
			return true
		}
	case reflect.Int, reflect.Int32, reflect.Int64:
		if tag != "!!int" {
			break
		}
		i, err := parseYAMLInt(n.Value, v.Type().Bits())
		if errors.Is(err, strconv.ErrRange) {
			d.errAt(n, "%s %s is out of range (at most %d)", label(fi.key, idx), clip(n.Value), int64(1)<<(v.Type().Bits()-1)-1)
			return false
		}
		if err != nil {
			break
		}
		if len(fi.intEnum) > 0 && !slices.Contains(fi.intEnum, i) {
			d.errAt(n, "%s must be %s; found %d", label(fi.key, idx), expected(v.Type(), fi), i)
			return false
		}
		if !d.inRange(n, float64(i), fi, idx) {
			return false
		}
		v.SetInt(i)
		return true
	case reflect.Float64:
		if tag != "!!float" && tag != "!!int" {
			break
		}
		f, ok := parseYAMLFloat(n.Value)
		if !ok {
			d.errAt(n, "%s must be a finite number; found %s", label(fi.key, idx), clip(n.Value))
			return false
		}
		if !d.inRange(n, f, fi, idx) {
			return false
		}
		v.SetFloat(f)
		return true
	}
	d.typeErr(n, v.Type(), fi, label(fi.key, idx))
	return false
}

func (d *decoder) inRange(n *yaml.Node, f float64, fi *fieldInfo, idx int) bool {
	if (fi.hasMin && f < fi.min) || (fi.hasMax && f > fi.max) {
		lo, hi := num(fi.min), num(fi.max)
		switch {
		case fi.hasMin && fi.hasMax:
			d.errAt(n, "%s must be between %s and %s; found %s", label(fi.key, idx), lo, hi, clip(n.Value))
		case fi.hasMin:
			d.errAt(n, "%s must be %s or more; found %s", label(fi.key, idx), lo, clip(n.Value))
		default:
			d.errAt(n, "%s must be %s or less; found %s", label(fi.key, idx), hi, clip(n.Value))
		}
		return false
	}
	return true
}

func num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

func (d *decoder) str(n *yaml.Node, fi *fieldInfo, idx int) (string, bool) {
	if n.ShortTag() != "!!str" {
		d.typeErr(n, reflect.TypeFor[string](), fi, label(fi.key, idx))
		return "", false
	}
	s := n.Value
	if fi.enum != nil {
		if i := slices.Index(fi.enum, s); i >= 0 {
			return fi.enum[i], true
		}
		msg := ""
		if sg := suggest(s, fi.enum); sg != "" {
			msg = "; did you mean " + strconv.Quote(sg) + "?"
		}
		d.errAt(n, "%s %s is not valid: use %s%s", label(fi.key, idx), quote(s), list(fi.enum), msg)
		return "", false
	}
	// Before the other rules: an invisible character is the cause of the
	// rest, and what a reader must be told.
	if r, bad := fi.runes.refusedRune(s); bad {
		d.errAt(n, "%s %s %s", label(fi.key, idx), quote(s), refusal(r))
		return "", false
	}
	if fi.minLen > 0 || fi.maxLen >= 0 {
		// Counting is skipped for long strings only when no limit could pass.
		c := utf8.RuneCountInString(s)
		if c < fi.minLen {
			if c == 0 {
				d.errAt(n, "%s is empty", label(fi.key, idx))
			} else {
				d.errAt(n, "%s is %d characters long; it needs at least %d", label(fi.key, idx), c, fi.minLen)
			}
			return "", false
		}
		if fi.maxLen >= 0 && c > fi.maxLen {
			d.errAt(n, "%s is %d characters long; the limit is %d", label(fi.key, idx), c, fi.maxLen)
			return "", false
		}
	}
	if fi.check != nil {
		if msg := fi.check(s); msg != "" {
			d.errAt(n, "%s %s %s", label(fi.key, idx), quote(s), msg)
			return "", false
		}
	}
	if fi.lookalike != nil {
		if found, plain := fi.lookalike(s); found != "" {
			d.sink.warn(d.pos(n), "%s %s %s", label(fi.key, idx), quote(s), lookalikeWarning(found, plain))
		}
	}
	if fi.intern {
		s = d.internStr(s)
	}
	return s, true
}

func (d *decoder) slice(n *yaml.Node, v reflect.Value, fi *fieldInfo) bool {
	if lz := d.lazy[n]; lz != nil {
		return d.lazySlice(lz, v, fi)
	}
	if n.Kind != yaml.SequenceNode {
		d.typeErr(n, v.Type(), fi, fi.key)
		return false
	}
	s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	ok := true
	for i, item := range n.Content {
		if !d.item(item, s.Index(i), fi, i) {
			ok = false
		}
	}
	if fi.unique && s.Type().Elem().Kind() == reflect.String {
		d.unique(n, s, fi)
	}
	v.Set(s)
	return ok
}

// item decodes one list item: a struct (a user, a role) or a scalar.
func (d *decoder) item(n *yaml.Node, v reflect.Value, fi *fieldInfo, i int) bool {
	if v.Kind() != reflect.Struct {
		return d.value(n, v, fi, i)
	}
	if !d.plain(n) {
		return false
	}
	if n.Kind != yaml.MappingNode {
		d.typeErr(n, v.Type(), &fieldInfo{}, label(fi.key, i))
		return false
	}
	d.structure(n, v)
	return true
}

// unique reports list items given twice. Items that failed decoding are
// empty and skipped.
func (d *decoder) unique(n *yaml.Node, s reflect.Value, fi *fieldInfo) {
	seen := make(map[string]int, s.Len())
	for i := range s.Len() {
		v := s.Index(i).String()
		if v == "" {
			continue
		}
		if j, dup := seen[v]; dup {
			first := d.pos(n.Content[j])
			d.errAt(n.Content[i], "%s %s is listed twice in %s (first at line %d, column %d)",
				label(fi.key, i), quote(v), fi.key, first.Line, first.Col)
			continue
		}
		seen[v] = i
	}
}

// structure decodes a mapping into the struct v, fills its Positions, and
// runs the checks that involve several keys of one entry.
func (d *decoder) structure(n *yaml.Node, v reflect.Value) {
	si := structInfos()[v.Type()]
	ks := keySet{si: si}
	var at *Positions
	if si.atIndex >= 0 {
		size := 1 + len(n.Content)/2
		for i := 1; i < len(n.Content); i += 2 {
			if c := n.Content[i]; c.Kind == yaml.SequenceNode {
				size += len(c.Content)
			}
		}
		at = v.Field(si.atIndex).Addr().Interface().(*Positions)
		*at = Positions{list: make([]keyPos, 0, size)}
		at.add(0, -1, d.pos(n))
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if !d.plain(k) {
			d.skip(val)
			continue
		}
		if k.Kind != yaml.ScalarNode {
			d.errAt(k, "a key must be a plain name; found %s used as a key %s", describe(k), si.where)
			d.skip(k)
			d.skip(val)
			continue
		}
		fi := si.byKey[k.Value]
		if fi == nil || k.ShortTag() != "!!str" {
			d.unknownKey(k, si)
			d.skip(val)
			continue
		}
		if ks.present&fi.bit != 0 {
			first := ks.keyPos[fi.ord]
			d.errAt(k, "duplicate key %s %s (first at line %d, column %d)", quote(fi.key), si.where, first.Line, first.Col)
			d.skip(val)
			continue
		}
		ks.present |= fi.bit
		ks.keyPos[fi.ord] = d.pos(k)
		if at != nil {
			at.add(fi.posKey, -1, d.pos(val))
			if val.Kind == yaml.SequenceNode {
				for x, it := range val.Content {
					at.add(fi.posKey, x, d.pos(it))
				}
			}
		}
		if !d.value(val, v.Field(fi.index), fi, -1) {
			ks.bad |= fi.bit
		}
	}
	for i := range si.fields {
		if fi := &si.fields[i]; fi.required && ks.present&fi.bit == 0 {
			d.errAt(n, "missing required key %s %s", quote(fi.key), si.where)
		}
	}
	switch v.Type() {
	case userSpecType:
		d.checkUser(v.Addr().Interface().(*UserSpec), &ks)
	case roleSpecType:
		d.checkRole(v.Addr().Interface().(*RoleSpec), &ks)
	}
}

func (d *decoder) unknownKey(k *yaml.Node, si *structInfo) {
	if k.Value == "<<" && k.ShortTag() == "!!merge" {
		d.errAt(k, "merge keys (<<) are not supported %s: write each key out", si.where)
		return
	}
	msg := ""
	if s := suggest(k.Value, si.keys); s != "" {
		msg = "; did you mean " + strconv.Quote(s) + "?"
	}
	d.errAt(k, "unknown key %s %s%s (allowed: %s)", quote(k.Value), si.where, msg, strings.Join(si.keys, ", "))
}

// parseYAMLInt reads an integer as yaml.v3 resolves one: decimal, 0x,
// 0o, 0b or a leading 0 (octal), a sign, and _ separators.
func parseYAMLInt(s string, bits int) (int64, error) {
	return strconv.ParseInt(strings.ReplaceAll(s, "_", ""), 0, bits)
}

func parseYAMLFloat(s string) (float64, bool) {
	f, err := strconv.ParseFloat(strings.ReplaceAll(s, "_", ""), 64)
	if err != nil {
		i, err := parseYAMLInt(s, 64)
		if err != nil {
			return 0, false
		}
		f = float64(i)
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}
