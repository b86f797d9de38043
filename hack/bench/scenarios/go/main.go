// bench-api: a small command-line program with real dependencies.
package main

import (
	"fmt"
	"os"

	"github.com/google/uuid"
	"github.com/spf13/cobra"
	"golang.org/x/text/cases"
	"golang.org/x/text/language"
	"gopkg.in/yaml.v3"
)

func main() {
	root := &cobra.Command{
		Use: "bench-api",
		RunE: func(cmd *cobra.Command, args []string) error {
			out, err := yaml.Marshal(map[string]string{
				"id":       uuid.NewString(),
				"greeting": cases.Title(language.English).String("hello, world"),
			})
			if err != nil {
				return err
			}
			fmt.Print(string(out))
			return nil
		},
	}
	if err := root.Execute(); err != nil {
		os.Exit(1)
	}
}
