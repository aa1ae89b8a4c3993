package entratest

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/entrasync/entrasync/internal/entra"
)

// Documents are resources by path, for the kinds that are documents rather
// than groups. A collection is the set of documents one segment below its
// path; POST adds one under the value of the body's Key property.

// PutDocument stores a document at a path.
func (f *Fake) PutDocument(path string, doc entra.Document) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.docs == nil {
		f.docs = map[string]entra.Document{}
	}
	f.docs[path] = maps.Clone(doc)
}

// Remove deletes the document at a path, as somebody in the portal would.
func (f *Fake) Remove(path string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.docs, path)
}

// Document returns the document at a path, or nil.
func (f *Fake) Document(path string) entra.Document {
	f.mu.Lock()
	defer f.mu.Unlock()
	return maps.Clone(f.docs[path])
}

// Documents implements [entra.Reader].
func (f *Fake) Documents(_ context.Context, paths []string) (map[string]entra.Document, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call("Documents")
	out := map[string]entra.Document{}
	for _, p := range paths {
		if d, ok := f.docs[p]; ok {
			out[p] = maps.Clone(d)
		} else if items := f.collection(p); len(items) > 0 {
			out[p] = entra.Document{"value": items}
		}
	}
	return out, nil
}

// collection lists the documents one segment below path.
func (f *Fake) collection(path string) []any {
	var out []any
	for _, p := range slices.Sorted(maps.Keys(f.docs)) {
		if rest, ok := strings.CutPrefix(p, path+"/"); ok && !strings.Contains(rest, "/") {
			out = append(out, maps.Clone(f.docs[p]))
		}
	}
	return out
}

// Collection implements [entra.Reader].
func (f *Fake) Collection(_ context.Context, path string) ([]entra.Document, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call("Collection")
	var out []entra.Document
	for _, d := range f.collection(path) {
		out = append(out, d.(entra.Document))
	}
	return out, nil
}

// request applies an OpRequest: PUT stores, PATCH replaces the properties
// given (an open extension's PATCH replaces them all, as Graph's does),
// DELETE removes (an absent document is success), POST adds a
// document under its CollectionKey property and answers with it.
func (f *Fake) request(r *entra.Request) (entra.Document, error) {
	if r.Method == "POST" {
		return f.post(r)
	}
	return nil, f.write(r)
}

func (f *Fake) post(r *entra.Request) (entra.Document, error) {
	if f.docs == nil {
		f.docs = map[string]entra.Document{}
	}
	key, _ := r.Body[f.CollectionKey].(string)
	if strings.HasSuffix(r.Path, "/extensions") {
		key, _ = r.Body["extensionName"].(string)
	}
	if key == "" {
		return nil, fmt.Errorf("entratest: POST %s without %s", r.Path, f.CollectionKey)
	}
	p := r.Path + "/" + key
	if _, ok := f.docs[p]; ok {
		return nil, fmt.Errorf("entratest: %s exists: %w", p, entra.ErrConflict)
	}
	f.docs[p] = maps.Clone(r.Body)
	return maps.Clone(r.Body), nil
}

func (f *Fake) write(r *entra.Request) error {
	if f.docs == nil {
		f.docs = map[string]entra.Document{}
	}
	switch r.Method {
	case "PUT":
		if _, ok := f.docs[r.Path]; ok {
			return fmt.Errorf("entratest: %s exists", r.Path)
		}
		f.docs[r.Path] = maps.Clone(r.Body)
	case "PATCH":
		d, ok := f.docs[r.Path]
		if !ok {
			return fmt.Errorf("entratest: %s does not exist: %w", r.Path, entra.ErrNotFound)
		}
		if isExtension(r.Path) {
			if name, _ := r.Body["extensionName"].(string); name == "" {
				return fmt.Errorf("entratest: PATCH %s does not name the extension", r.Path)
			}
			f.docs[r.Path] = maps.Clone(r.Body)
			break
		}
		maps.Copy(d, r.Body)
	case "DELETE":
		for p := range f.docs {
			if strings.HasPrefix(p, r.Path+"/") {
				return fmt.Errorf("entratest: %s has children", r.Path)
			}
		}
		delete(f.docs, r.Path)
	default:
		return fmt.Errorf("entratest: method %s", r.Method)
	}
	return nil
}

// isExtension reports whether a path names one open extension.
func isExtension(path string) bool {
	i := strings.LastIndex(path, "/extensions/")
	return i >= 0 && !strings.Contains(path[i+len("/extensions/"):], "/")
}
