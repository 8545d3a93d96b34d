import { wireContract } from '@chat/testkit';
import { embeddedTarget } from './targets';

wireContract('embedded on MySQL', () => embeddedTarget({ mysql: true }));
