// Package demo loads the demonstration data drawn from the seed documents (the Tuyên Quang
// province, its departments and districts with fictitious heads and users, and the tasks of
// plan 56/KH-UBND; the Thanh Hóa and Đồng Nai provinces as issuers of Directive 18/CT-UBND
// and Letter 7761/UBND-HC, seeds 000 and 004, with their targets) through the services'
// public gRPC APIs. Loading twice changes nothing.
//
// Where a seed lacks a fact the APIs need, the value used and its source: seed 000 shows no
// number or date; 18/CT-UBND of 26/9/2018 is the number and date of the same directive as
// published on hethongphapluat.com. Seed 004 prints its number as "~~776~~ 1/UBND-HC" (a
// struck-through conversion artefact); it is read as 7761/UBND-HC. Their targets name the
// province itself as scope: the demo has neither province's departments or districts, and a
// tier scope (SCOPE_LEVEL_DISTRICT) would count Tuyên Quang's units.
package demo

import (
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"log/slog"
	"sort"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"

	directoryv1 "github.com/parindex/platform/proto/gen/go/par/directory/v1"
	tasktrackingv1 "github.com/parindex/platform/proto/gen/go/par/tasktracking/v1"
)

//go:embed data/*.json data/*.csv
var files embed.FS

// Directory is the content of data/directory.json.
type Directory struct {
	Units []unit `json:"units"`
	Heads []struct {
		Unit       string `json:"unit"`
		PersonName string `json:"person_name"`
		Title      string `json:"title"`
		Acting     bool   `json:"acting"`
		StartDate  string `json:"start_date"`
		EndDate    string `json:"end_date"`
	} `json:"heads"`
	Users []struct {
		Subject     string   `json:"subject"`
		DisplayName string   `json:"display_name"`
		Email       string   `json:"email"`
		Unit        string   `json:"unit"`
		Roles       []string `json:"roles"`
	} `json:"users"`
}

// unit is a unit of the demo directory, its parent named by code.
type unit struct {
	Code      string `json:"code"`
	Name      string `json:"name"`
	ShortName string `json:"short_name"`
	Kind      string `json:"kind"`
	Level     string `json:"level"`
	Parent    string `json:"parent"`
}

// Summary counts what a load created (zero on a second load).
type Summary struct {
	Units, Heads, Users, Documents int
	// UnitIDs maps every unit code to its directory id.
	UnitIDs map[string]string
}

// otherProvinces reads data/provinces.json: Thanh Hóa and Đồng Nai, issuers of the documents
// of seeds 000 and 004, without departments or heads.
func otherProvinces() ([]unit, error) {
	var d struct {
		Units []unit `json:"units"`
	}
	b, err := files.ReadFile("data/provinces.json")
	if err != nil {
		return nil, fmt.Errorf("read provinces data: %w", err)
	}
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, fmt.Errorf("parse provinces data: %w", err)
	}
	return d.Units, nil
}

// LoadDirectory reads data/directory.json.
func LoadDirectory() (Directory, error) {
	var d Directory
	b, err := files.ReadFile("data/directory.json")
	if err != nil {
		return d, fmt.Errorf("read directory data: %w", err)
	}
	if err := json.Unmarshal(b, &d); err != nil {
		return d, fmt.Errorf("parse directory data: %w", err)
	}
	return d, nil
}

// Load creates what is missing. The connections' calls must carry a token with the
// secretariat role (the caller sets per-RPC credentials).
func Load(ctx context.Context, log *slog.Logger, dirConn, taskConn grpc.ClientConnInterface) (Summary, error) {
	sum := Summary{UnitIDs: map[string]string{}}
	dir := directoryv1.NewDirectoryServiceClient(dirConn)
	d, err := LoadDirectory()
	if err != nil {
		return sum, err
	}

	// Units, parents first (the file lists them so); then the provinces that issued the
	// other seeds' documents (data/provinces.json), kept apart so that directory.json stays
	// the one province of seed 001 that name matching is tested on.
	others, err := otherProvinces()
	if err != nil {
		return sum, err
	}
	for _, u := range append(d.Units, others...) {
		parentID := ""
		if u.Parent != "" {
			parentID = sum.UnitIDs[u.Parent]
			if parentID == "" {
				return sum, fmt.Errorf("unit %s: parent %s not loaded before it", u.Code, u.Parent)
			}
		}
		resp, err := dir.CreateUnit(ctx, &directoryv1.CreateUnitRequest{Unit: &directoryv1.Unit{
			Code: u.Code, Name: u.Name, ShortName: u.ShortName, Kind: u.Kind, Level: u.Level, ParentId: parentID,
		}})
		switch status.Code(err) {
		case codes.OK:
			sum.Units++
			sum.UnitIDs[u.Code] = resp.GetUnit().GetId()
		case codes.AlreadyExists:
			got, err := dir.LookupUnit(ctx, &directoryv1.LookupUnitRequest{Code: u.Code})
			if err != nil {
				return sum, fmt.Errorf("look up unit %s: %w", u.Code, err)
			}
			sum.UnitIDs[u.Code] = got.GetUnit().GetId()
		default:
			return sum, fmt.Errorf("create unit %s: %w", u.Code, err)
		}
	}

	// Heads: only for units with no tenure yet, oldest first, so history is rebuilt in order.
	byUnit := map[string][]int{}
	for i, h := range d.Heads {
		byUnit[h.Unit] = append(byUnit[h.Unit], i)
	}
	unitCodes := make([]string, 0, len(byUnit))
	for c := range byUnit {
		unitCodes = append(unitCodes, c)
	}
	sort.Strings(unitCodes)
	for _, code := range unitCodes {
		unitID := sum.UnitIDs[code]
		if unitID == "" {
			return sum, fmt.Errorf("head of unknown unit %s", code)
		}
		have, err := dir.ListHeadTenures(ctx, &directoryv1.ListHeadTenuresRequest{UnitId: unitID, PageSize: 1})
		if err != nil {
			return sum, fmt.Errorf("list tenures of %s: %w", code, err)
		}
		if len(have.GetTenures()) > 0 {
			continue
		}
		idx := byUnit[code]
		sort.SliceStable(idx, func(a, b int) bool { return d.Heads[idx[a]].StartDate < d.Heads[idx[b]].StartDate })
		for _, i := range idx {
			h := d.Heads[i]
			if _, err := dir.AssignHead(ctx, &directoryv1.AssignHeadRequest{
				UnitId: unitID, PersonName: h.PersonName, Title: h.Title, Acting: h.Acting,
				StartDate: h.StartDate, EndDate: h.EndDate,
			}); err != nil {
				return sum, fmt.Errorf("assign head %s of %s: %w", h.PersonName, code, err)
			}
			sum.Heads++
		}
	}

	// Users.
	for _, u := range d.Users {
		roles := make([]directoryv1.Role, 0, len(u.Roles))
		for _, r := range u.Roles {
			v, ok := directoryv1.Role_value[r]
			if !ok {
				return sum, fmt.Errorf("user %s: unknown role %s", u.Subject, r)
			}
			roles = append(roles, directoryv1.Role(v))
		}
		_, err := dir.CreateUser(ctx, &directoryv1.CreateUserRequest{User: &directoryv1.User{
			Subject: u.Subject, DisplayName: u.DisplayName, Email: u.Email, UnitId: sum.UnitIDs[u.Unit], Roles: roles, Active: true,
		}})
		switch status.Code(err) {
		case codes.OK:
			sum.Users++
		case codes.AlreadyExists:
		default:
			return sum, fmt.Errorf("create user %s: %w", u.Subject, err)
		}
	}

	// Documents and their tasks.
	docs, err := documents(sum.UnitIDs)
	if err != nil {
		return sum, err
	}
	tasks := tasktrackingv1.NewTaskTrackingServiceClient(taskConn)
	for _, doc := range docs {
		_, err := tasks.CreateDocument(ctx, &tasktrackingv1.CreateDocumentRequest{Document: doc})
		switch status.Code(err) {
		case codes.OK:
			sum.Documents++
			log.InfoContext(ctx, "demo document loaded", slog.String("number", doc.GetNumber()), slog.Int("tasks", len(doc.GetTasks())))
		case codes.AlreadyExists:
		default:
			return sum, fmt.Errorf("create document %s: %w", doc.GetNumber(), err)
		}
	}
	return sum, nil
}

// documents reads data/documents.json, replacing unit codes by ids and dropping the fields
// that only document where the codes came from.
func documents(unitIDs map[string]string) ([]*tasktrackingv1.Document, error) {
	b, err := files.ReadFile("data/documents.json")
	if err != nil {
		return nil, fmt.Errorf("read documents data: %w", err)
	}
	var raw []map[string]any
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("parse documents data: %w", err)
	}
	ids := func(v any, where string) ([]any, error) {
		list, _ := v.([]any)
		out := make([]any, 0, len(list))
		for _, c := range list {
			code, _ := c.(string)
			id, ok := unitIDs[code]
			if !ok {
				return nil, fmt.Errorf("%s: unknown unit %q", where, code)
			}
			out = append(out, id)
		}
		return out, nil
	}
	var docs []*tasktrackingv1.Document
	for _, d := range raw {
		number, _ := d["number"].(string)
		issuer, _ := d["issuer"].(string)
		issuerID, ok := unitIDs[issuer]
		if !ok {
			return nil, fmt.Errorf("document %s: unknown issuer %q", number, issuer)
		}
		delete(d, "issuer")
		d["issuer_unit_id"] = issuerID
		tasks, _ := d["tasks"].([]any)
		for i, t := range tasks {
			task, _ := t.(map[string]any)
			where := fmt.Sprintf("document %s task %d", number, i)
			lead, err := ids(task["lead"], where)
			if err != nil {
				return nil, err
			}
			coop, err := ids(task["cooperating"], where)
			if err != nil {
				return nil, err
			}
			delete(task, "lead")
			delete(task, "cooperating")
			delete(task, "lead_text")
			delete(task, "cooperating_text")
			task["lead_unit_ids"] = lead
			task["cooperating_unit_ids"] = coop
		}
		js, err := json.Marshal(d)
		if err != nil {
			return nil, fmt.Errorf("document %s: %w", number, err)
		}
		var doc tasktrackingv1.Document
		if err := protojson.Unmarshal(js, &doc); err != nil {
			return nil, fmt.Errorf("document %s: %w", number, err)
		}
		docs = append(docs, &doc)
	}
	return docs, nil
}
