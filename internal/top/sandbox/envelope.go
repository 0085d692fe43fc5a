package sandbox

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"strconv"
	"strings"
)

// field is one named value of an answer. A value is a string, bool, int,
// int64 or object.
type field struct {
	name  string
	value any
}

// object is an answer's fields, in the order they are written.
type object []field

// responseName returns the wrapper of a method's success answer:
// tmall.hk.clearance.declare.wechat → tmall_hk_clearance_declare_wechat_response.
func responseName(method string) string {
	return strings.ReplaceAll(strings.TrimPrefix(method, "taobao."), ".", "_") + "_response"
}

// encode writes the answer in the requested format and returns it with its
// content type.
func (o *outcome) encode(requestID string) ([]byte, string) {
	var name string
	var body object
	if o.err != nil {
		name = "error_response"
		body = object{{"code", o.err.code}, {"msg", o.err.msg}}
		if o.err.subCode != "" {
			body = append(body, field{"sub_code", o.err.subCode})
		}
		if o.err.subMsg != "" {
			body = append(body, field{"sub_msg", o.err.subMsg})
		}
	} else {
		name = responseName(o.method)
		body = append(object(nil), o.body...)
	}
	body = append(body, field{"request_id", requestID})
	var b bytes.Buffer
	if o.json {
		if o.simplify && o.err == nil {
			writeJSON(&b, body)
		} else {
			writeJSON(&b, object{{name, body}})
		}
		return b.Bytes(), "application/json;charset=UTF-8"
	}
	b.WriteString(`<?xml version="1.0" encoding="utf-8" ?>`)
	writeXML(&b, name, body)
	return b.Bytes(), "text/xml;charset=UTF-8"
}

func writeJSON(b *bytes.Buffer, v any) {
	switch v := v.(type) {
	case object:
		b.WriteByte('{')
		for i, f := range v {
			if i > 0 {
				b.WriteByte(',')
			}
			writeJSONString(b, f.name)
			b.WriteByte(':')
			writeJSON(b, f.value)
		}
		b.WriteByte('}')
	case string:
		writeJSONString(b, v)
	case bool:
		b.WriteString(strconv.FormatBool(v))
	case int:
		b.WriteString(strconv.Itoa(v))
	case int64:
		b.WriteString(strconv.FormatInt(v, 10))
	default:
		panic("sandbox: unexpected answer value")
	}
}

// writeJSONString writes s as a JSON string without escaping <, > and &,
// as the platform does.
func writeJSONString(b *bytes.Buffer, s string) {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)       // a string always encodes
	b.Truncate(b.Len() - 1) // Encode's newline
}

func writeXML(b *bytes.Buffer, name string, v any) {
	b.WriteString("<" + name + ">")
	switch v := v.(type) {
	case object:
		for _, f := range v {
			writeXML(b, f.name, f.value)
		}
	case string:
		_ = xml.EscapeText(b, []byte(v)) // a bytes.Buffer never fails
	case bool:
		b.WriteString(strconv.FormatBool(v))
	case int:
		b.WriteString(strconv.Itoa(v))
	case int64:
		b.WriteString(strconv.FormatInt(v, 10))
	default:
		panic("sandbox: unexpected answer value")
	}
	b.WriteString("</" + name + ">")
}
