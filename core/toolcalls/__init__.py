"""The tool-call language, in both directions: `language` writes calls the way the kit's aligned rows
hold them and reads them back exactly; `detect` decides whether any model reply calls a tool."""
