from mcp_lint.cli.app import main

main()
