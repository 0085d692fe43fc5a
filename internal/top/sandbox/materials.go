package sandbox

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/crossborder/reconcile/internal/cst"
	"github.com/crossborder/reconcile/internal/idcard"
	"github.com/crossborder/reconcile/internal/top"
)

// Materials are an order's clearance materials, as
// tmall.hk.clearance.distribution.get answers them, or an override of the
// generated ones. In an override (Config.Materials, LoadMaterials) each
// non-empty field replaces the generated value, and Missing makes the
// materials absent: the API answers result.success false with ErrCode and
// ErrMsg (defaults "CERTIFY_NOT_FOUND", "未找到该订单的清关材料").
type Materials struct {
	Name    string `json:"ocr_name,omitempty"` // buyer's name
	ID      string `json:"ocr_id,omitempty"`   // ID number
	Expiry  string `json:"ocr_exp,omitempty"`  // yyyyMMdd or 长期
	Type    int    `json:"type,omitempty"`     // credential type; 1 is the resident ID card
	Missing bool   `json:"missing,omitempty"`
	ErrCode string `json:"err_code,omitempty"`
	ErrMsg  string `json:"err_msg,omitempty"`
}

// Permanent is the expiry of an ID card that never expires.
const Permanent = "长期"

// LoadMaterials reads a JSON file of materials overrides: an object whose
// keys are order ids (decimal digits) and whose values are objects with
// the fields of Materials, for instance
//
//	{
//	  "2531111111111111111": {"ocr_exp": "20200101"},
//	  "2531111111111111112": {"ocr_id": "110105194912310021"},
//	  "2531111111111111113": {"missing": true}
//	}
//
// Unknown fields, keys that are not order ids and trailing data are errors
// that name the file and, for syntax and type errors, the line and column.
func LoadMaterials(path string) (map[string]Materials, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("materials: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var m map[string]Materials
	if err := dec.Decode(&m); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			return nil, fmt.Errorf("%s:%s: %w", path, lineCol(b, se.Offset), err)
		case errors.As(err, &te):
			return nil, fmt.Errorf("%s:%s: %w", path, lineCol(b, te.Offset), err)
		case errors.Is(err, io.ErrUnexpectedEOF):
			return nil, fmt.Errorf("%s:%s: unexpected end of file", path, lineCol(b, int64(len(b))))
		}
		return nil, fmt.Errorf("%s: want a JSON object of order id to materials: %w", path, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%s:%s: unexpected data after the object", path, lineCol(b, dec.InputOffset()))
	}
	if m == nil {
		return nil, fmt.Errorf("%s: want a JSON object of order id to materials, got null", path)
	}
	out := make(map[string]Materials, len(m))
	for k, v := range m {
		id, ok := parseOrderID(k)
		if !ok {
			return nil, fmt.Errorf("%s: key %q is not an order id (1 to 19 decimal digits)", path, k)
		}
		out[formatOrderID(id)] = v
	}
	return out, nil
}

// lineCol returns the 1-based "line:column" of byte offset off in b.
func lineCol(b []byte, off int64) string {
	off = min(max(off, 0), int64(len(b)))
	line := 1 + bytes.Count(b[:off], []byte("\n"))
	col := off - int64(bytes.LastIndexByte(b[:off], '\n'))
	return fmt.Sprintf("%d:%d", line, col)
}

// region codes of real districts, for generated ID numbers.
var regions = []string{
	"110101", "110105", "110108", "120101", "130102", "210102", "310101", "310104", "310115",
	"320102", "320506", "330102", "330106", "330203", "340104", "350203", "370102", "370202",
	"410105", "420106", "430104", "440103", "440106", "440304", "440305", "450103", "500103",
	"510104", "510107", "530102", "610113", "620102",
}

var surnames = []string{
	"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
	"何", "林", "高", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾",
	"田", "董", "潘", "袁", "蔡", "蒋", "余", "于", "杜", "叶", "程", "魏", "苏", "吕", "丁", "任",
	"沈", "姚", "卢", "姜", "崔", "钟", "谭", "陆", "范", "汪", "廖", "石", "金", "欧阳", "司马", "诸葛",
}

var givenChars = []rune("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚英华玉兰萍红鹏辉建文晨宇浩欣怡佳子涵雨轩梓博思婷雪琳颖晓海波健俊鑫宁凯帆倩")

// MaterialsFor returns the materials the gateway makes up for orderID when
// no override applies, as of now (which dates the expiry): a name, an ID
// number that passes idcard.Check, type 1 and an expiry 1 to 10 years after
// now's year in UTC+8, or 长期. The name and number depend on orderID alone.
func MaterialsFor(orderID int64, now time.Time) Materials {
	h := sha256.Sum256([]byte("reconcile sandbox materials " + formatOrderID(orderID)))
	u := func(i int) int { return int(binary.BigEndian.Uint32(h[4*i:]) & 0x7fffffff) }
	year := 1960 + u(1)%44
	month := 1 + u(2)%12
	day := 1 + u(2)/12%28
	first17 := fmt.Sprintf("%s%04d%02d%02d%03d", regions[u(0)%len(regions)], year, month, day, 1+u(3)%999)
	c, err := idcard.CheckChar(first17)
	if err != nil {
		panic("sandbox: generated ID number is malformed: " + err.Error())
	}
	var name strings.Builder
	name.WriteString(surnames[u(4)%len(surnames)])
	name.WriteRune(givenChars[u(5)%len(givenChars)])
	if u(6)%3 != 0 {
		name.WriteRune(givenChars[u(6)%len(givenChars)])
	}
	expiry := Permanent
	if year >= 1976 || u(7)%3 != 0 {
		expiry = fmt.Sprintf("%04d%02d%02d", now.In(cst.Zone).Year()+1+u(7)%10, 1+u(5)%12, 1+u(5)/12%28)
	}
	return Materials{Name: name.String(), ID: first17 + string(c), Expiry: expiry, Type: 1}
}

// distribution is tmall.hk.clearance.distribution.get. The caller holds
// g.mu.
func (g *Gateway) distribution(req *request) (object, *apiError) {
	s, ok := req.p["order_id"]
	if !ok {
		return nil, errArg(top.CodeMissingRequiredArgs, "order_id")
	}
	id, ok := parseOrderID(s)
	if !ok {
		return nil, invalidArg("order_id", "order_id must be a number")
	}
	needImage := false
	if v, ok := req.p["need_image"]; ok {
		switch {
		case strings.EqualFold(v, "true"):
			needImage = true
		case strings.EqualFold(v, "false"):
		default:
			return nil, invalidArg("need_image", "need_image must be true or false")
		}
	}
	m := MaterialsFor(id, req.at)
	if o, ok := g.materials[formatOrderID(id)]; ok {
		if o.Missing {
			g.ctr.Materials.Missing++
			code, msg := o.ErrCode, o.ErrMsg
			if code == "" {
				code = "CERTIFY_NOT_FOUND"
			}
			if msg == "" {
				msg = "未找到该订单的清关材料"
			}
			return object{{"result", object{{"success", false}, {"err_code", code}, {"err_msg", msg}}}}, nil
		}
		if o.Name != "" {
			m.Name = o.Name
		}
		if o.ID != "" {
			m.ID = o.ID
		}
		if o.Expiry != "" {
			m.Expiry = o.Expiry
		}
		if o.Type != 0 {
			m.Type = o.Type
		}
	}
	g.ctr.Materials.Served++
	module := object{
		{"ocr_name", m.Name}, {"ocr_id", m.ID}, {"ocr_exp", m.Expiry}, {"type", m.Type}, {"order_id", id},
	}
	if needImage {
		base := "https://img.sandbox.invalid/clearance/" + formatOrderID(id)
		module = append(module, field{"credential1", base + "/front.jpg"}, field{"credential2", base + "/back.jpg"})
	}
	return object{{"result", object{{"success", true}, {"module", module}}}}, nil
}
