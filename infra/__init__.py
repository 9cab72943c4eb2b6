"""Local stand-ins for AWS and the scripts that start them."""
