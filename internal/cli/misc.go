package cli

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/entrasync/entrasync/schema"
)

// Version is set at build time with -ldflags "-X github.com/entrasync/entrasync/internal/cli.Version=…".
var Version = ""

func (a *app) versionCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "version",
		Short:   "Print the entrasync version",
		Example: "  entrasync version",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintf(a.stdio.Out, "entrasync %s (schema v1)\n", version())
			return err
		},
	}
}

func version() string {
	if Version != "" {
		return Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

func (a *app) schemaCmd() *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "schema",
		Short: "Print the CUE schema, or write it into a repository for cue vet",
		Long: `schema prints the embedded CUE schema. With --out it writes the schema package
into a directory, typically cue.mod/pkg/` + schema.ImportPath + `
of a configuration repository, so that files can
  import "` + schema.ImportPath + `"
and embed schema.#Config, and cue vet and editors check them as entrasync does.`,
		Example: `  entrasync schema | less
  entrasync schema --out cue.mod/pkg/` + schema.ImportPath,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				_, err := a.stdio.Out.Write(schema.Source)
				return err
			}
			if err := os.MkdirAll(out, 0o755); err != nil {
				return err
			}
			return fs.WalkDir(schema.FS, ".", func(p string, d fs.DirEntry, err error) error {
				if err != nil || d.IsDir() {
					return err
				}
				data, err := schema.FS.ReadFile(p)
				if err != nil {
					return err
				}
				return os.WriteFile(filepath.Join(out, p), data, 0o644)
			})
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "directory to write the schema package into")
	return cmd
}
