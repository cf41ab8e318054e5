# The staging environment. Remote state in S3 with DynamoDB locking (infra/bootstrap creates both).

terraform {
  required_version = ">= 1.10"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.0"
    }
    random = {
      source  = "hashicorp/random"
      version = "~> 3.7"
    }
    tls = {
      source  = "hashicorp/tls"
      version = "~> 4.1"
    }
  }

  backend "s3" {
    bucket         = "play-chacha-terraform-state"
    key            = "staging/terraform.tfstate"
    region         = "eu-west-1"
    encrypt        = true
    dynamodb_table = "play-chacha-terraform-locks"
  }
}

locals {
  environment = "staging"
  region      = "eu-west-1"
  # Cost allocation: every resource carries these (activate Project and Environment as cost
  # allocation tags in the billing console once).
  tags = {
    Project     = "play-chacha"
    Environment = local.environment
    ManagedBy   = "terraform"
    CostCenter  = "exchange"
  }
}

provider "aws" {
  region = local.region
  default_tags {
    tags = local.tags
  }
}

# Disaster-recovery region: backup copies and replicated secrets.
provider "aws" {
  alias  = "replica"
  region = "eu-central-1"
  default_tags {
    tags = local.tags
  }
}

# CloudFront's web ACL and certificate live in us-east-1.
provider "aws" {
  alias  = "us_east_1"
  region = "us-east-1"
  default_tags {
    tags = local.tags
  }
}

module "stack" {
  source = "../../modules/stack"
  providers = {
    aws           = aws
    aws.replica   = aws.replica
    aws.us_east_1 = aws.us_east_1
  }

  environment        = local.environment
  name               = "play-chacha-staging"
  replica_region     = "eu-central-1"
  vpc_cidr           = "10.20.0.0/16"
  availability_zones = ["eu-west-1a", "eu-west-1b", "eu-west-1c"]

  node_groups = {
    general = { instance_types = ["m7i.xlarge"], min_size = 3, desired_size = 3, max_size = 6 }
  }

  db_instance_class           = "db.r7g.large"
  db_allocated_storage_gb     = 100
  db_max_allocated_storage_gb = 500
  memorydb_node_type          = "db.r7g.large"
  memorydb_replicas_per_shard = 2

  web_aliases            = ["staging.playchacha.dev"]
  web_origin_domain_name = "origin.staging.playchacha.dev"
  web_certificate_arn    = "arn:aws:acm:us-east-1:222222222222:certificate/00000000-0000-0000-0000-000000000002"

  monthly_budget_usd  = 6000
  budget_alert_emails = ["platform@playchacha.dev"]
}

output "stack" {
  value = module.stack
}
