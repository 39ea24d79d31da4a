from dialogue import create_app

app = create_app()
