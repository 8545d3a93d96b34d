import { wireContract } from '@chat/testkit';
import { embeddedTarget } from './targets';

wireContract('embedded on SQLite', () => embeddedTarget());
