from beta_training import create_app

app = create_app()
